import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020';
import { MAX_PROBE_COUNT, planJsonSchema } from '../../src/plan/schema';
import { validatePlan } from '../../src/plan/validate';
import { minimalPlan } from '../support/plans';

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

  it('agrees with the loader on every probe-count cap: the editor refuses what dr check refuses', () => {
    const published = JSON.parse(readFileSync(join(root, 'schema/plan.schema.json'), 'utf8'));
    const editor = new Ajv2020({ strict: false, allErrors: true }).compile(published);
    const withPolicy = (policy: Record<string, unknown>) => ({ ...minimalPlan(), policy });
    const variants = (n: number) => [
      { probeInterval: 'PT30S', failureThreshold: n },
      { probeInterval: 'PT30S', window: { failures: 1, of: n } },
      { probeInterval: 'PT30S', window: { failures: n, of: n } },
      { probeInterval: 'PT30S', failureThreshold: 3, recoveryThreshold: n },
    ];
    for (const [n, ok] of [
      [0, false],
      [1, true],
      [MAX_PROBE_COUNT, true],
      [MAX_PROBE_COUNT + 1, false],
    ] as const) {
      for (const policy of variants(n)) {
        const plan = withPolicy(policy);
        expect(editor(plan), `editor, ${JSON.stringify(policy)}`).toBe(ok);
        expect(validatePlan(plan).plan !== undefined, `loader, ${JSON.stringify(policy)}`).toBe(ok);
      }
    }
  });

  it('refuses in editors the names the loader refuses', () => {
    const editor = new Ajv2020({ strict: false, allErrors: true }).compile(planJsonSchema());
    const plan = (rg: string, workflow: string) => {
      const p = minimalPlan();
      p.primary.resourceGroup = rg;
      p.workflows[0]!.primary = workflow;
      return p;
    };
    for (const [rg, workflow, ok] of [
      ['rg-weu', 'api', true],
      ['rg-münchen', 'Bestellungen-ä', true],
      ['rg-weu.', 'api', false],
      ['...', 'api', false],
      ['r'.repeat(91), 'api', false],
      ['rg-weu', 'api?x', false],
      ['rg-weu', 'api#1', false],
      ['rg-weu', 'a'.repeat(81), false],
      ['rg-weu', 'rg-weu/api', false],
    ] as const) {
      const p = plan(rg, workflow);
      expect(editor(p), `editor: ${rg} ${workflow}`).toBe(ok);
      expect(validatePlan(p).plan !== undefined, `loader: ${rg} ${workflow}`).toBe(ok);
    }
  });
});
