/**
 * Entries that declare neither `trigger` nor `definition` are held to the DR rules on their live definitions,
 * read through ARM (here the simulator, through the real SDK): before every operation, and at start-up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { checkLiveRulesAtStartup } from '../../src/estate/live-check';
import { renderOperationPlan } from '../../src/cli/commands/whatif';
import { simulatorConnection } from '../../local/sim/arm';
import type { WorkflowEntry } from '../../src/plan/schema';
import { loadPlan } from '../../src/plan/load';
import { startArmSimulator, type ArmSimulator } from '../../local/sim/arm';
import { loadEntryDefinitions, sampleEstateSeed } from '../../local/sim/sample-estate';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/plan.json');
const WEBHOOK = JSON.parse(
  readFileSync(join(ROOT, 'infra/sample-workload/workflows/order-webhook.json'), 'utf8'),
) as Record<string, unknown>;

// Neither entry declares its trigger: both are HttpWebhook workflows in ARM.
const refused: WorkflowEntry = {
  name: 'partner-hook',
  role: 'active-active',
  group: 1,
  primary: 'partner-hook',
  secondary: 'partner-hook',
};
const allowed: WorkflowEntry = {
  name: 'supplier-hook',
  role: 'active-passive',
  group: 1,
  primary: 'supplier-hook',
  secondary: 'supplier-hook',
};
const example = loadPlan({ kind: 'file', path: EXAMPLE }).plan;
const plan = { ...example, workflows: [...example.workflows, refused, allowed] };

let sim: ArmSimulator;
const control = () => createArmLogicAppsControl({ ...simulatorConnection(sim), maxRetries: 0 });
const activities = () =>
  createActivities({
    plan,
    control: control(),
    probe: createHealthProbe({ control: control(), plan, settings: {}, ca: sim.caCertPem }),
  });

beforeAll(async () => {
  const definitions = loadEntryDefinitions(example, EXAMPLE);
  definitions.set(refused.name, WEBHOOK);
  definitions.set(allowed.name, WEBHOOK);
  sim = await startArmSimulator({ seed: sampleEstateSeed(plan, definitions) });
});
afterAll(async () => sim?.stop());

const entryPlan = (op: { groups: { entries: { entry: string }[] }[] }, name: string) =>
  op.groups.flatMap((g) => g.entries).find((e) => e.entry === name) as {
    entry: string;
    steps: unknown[];
    blocked?: string;
  };

describe('DR rules on live definitions', () => {
  it('planning a failover blocks an undeclared entry whose live webhook trigger forbids active-active', async () => {
    const before = JSON.stringify(sim.workflows());
    const { plan: op } = await activities().planOperation({ direction: 'failover', kind: 'planned' });
    const hook = entryPlan(op, 'partner-hook');
    expect(hook.steps).toEqual([]); // Nothing of it can be written.
    expect(hook.blocked).toContain(
      'workflow "partner-hook": role active-active is unsafe for a webhook trigger',
    );
    expect(hook.blocked).toContain('(read live from secondary:partner-hook)');
    expect(hook.blocked).toContain('[webhook-single-region]');
    expect(hook.blocked).toContain('fix: use "active-passive"');
    // The undeclared entry whose role the rules allow, and the declared ones, are planned as usual.
    expect(entryPlan(op, 'supplier-hook').blocked).toBeUndefined();
    expect(entryPlan(op, 'supplier-hook').steps).toHaveLength(2);
    expect(entryPlan(op, 'order-webhook').steps).toHaveLength(2);
    expect(renderOperationPlan(op)).toMatch(
      /partner-hook \[active-active\]\n\s+BLOCKED: refused by the DR rules/,
    );
    expect(JSON.stringify(sim.workflows())).toBe(before);
  });

  it('failback is refused the same way', async () => {
    const { plan: op } = await activities().planOperation({ direction: 'failback', kind: 'planned' });
    expect(entryPlan(op, 'partner-hook').blocked).toContain('[webhook-single-region]');
    expect(entryPlan(op, 'partner-hook').steps).toEqual([]);
  });

  it('with the secondary down, the primary’s live definition is classified instead', async () => {
    sim.outage(plan.secondary.location, { kind: 'down', mode: 'refused' });
    try {
      const { plan: op } = await activities().planOperation({ direction: 'failover', kind: 'planned' });
      expect(entryPlan(op, 'partner-hook').blocked).toContain('(read live from primary:partner-hook)');
    } finally {
      sim.restore(plan.secondary.location);
      await sim.settle();
    }
  });

  it('start-up logs the refusal naming entry, rule and fix; an unreachable ARM only warns', async () => {
    const lines: string[] = [];
    const log = {
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    };
    const findings = await checkLiveRulesAtStartup(plan, control(), log);
    expect(findings?.checked.get('partner-hook')?.map((i) => i.rule)).toEqual(['webhook-single-region']);
    expect(findings?.checked.get('supplier-hook')).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error plan contoso-orders-dr: workflow "partner-hook": role active-active/);
    expect(lines[0]).toContain('fix: use "active-passive"');

    lines.length = 0;
    for (const region of [plan.primary.location, plan.secondary.location])
      sim.outage(region, { kind: 'down', mode: 'refused' });
    try {
      const down = await checkLiveRulesAtStartup(plan, control(), log);
      expect(down?.unchecked.map((u) => u.entry)).toEqual(['partner-hook', 'supplier-hook']);
      expect(lines.every((l) => l.startsWith('warn '))).toBe(true);
      expect(lines[0]).toContain('checked again before every failover or failback');
    } finally {
      for (const region of [plan.primary.location, plan.secondary.location]) sim.restore(region);
      await sim.settle();
    }
  });

  it('a plan whose entries all declare their trigger reads nothing at start-up', async () => {
    sim.clearRequestLog();
    expect(await checkLiveRulesAtStartup(example, control(), { warn: () => {}, error: () => {} })).toBe(
      undefined,
    );
    expect(sim.requestLog()).toEqual([]);
  });
});
