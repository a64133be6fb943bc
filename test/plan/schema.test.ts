import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020';
import { planJsonSchema } from '../../src/plan/schema';

const root = join(__dirname, '../..');

describe('published JSON Schema', () => {
  it('is in sync with the schema in code (run `npm run schema` after changing it)', () => {
    const published = JSON.parse(readFileSync(join(root, 'schema/plan.schema.json'), 'utf8'));
    expect(published).toEqual(planJsonSchema());
  });

  it('accepts the example plan and rejects an unknown field, as editors will', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(planJsonSchema());
    const example = JSON.parse(readFileSync(join(root, 'examples/plan.json'), 'utf8'));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...example, policy: { ...example.policy, failureTreshold: 3 } })).toBe(false);
  });
});
