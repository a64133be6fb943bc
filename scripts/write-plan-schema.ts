/** Regenerates schema/plan.schema.json from the plan schema in code (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planJsonSchema } from '../src/plan/schema';

const target = join(__dirname, '..', 'schema', 'plan.schema.json');
writeFileSync(target, `${JSON.stringify(planJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
