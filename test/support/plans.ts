/** Small valid plans for tests; each test mutates a fresh copy. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, PlanInput } from '../../src/plan/schema';
import { validatePlan } from '../../src/plan/validate';
import type { MonitorPolicy } from '../../src/core/monitor';
import type { OperationRequest } from '../../src/core/monitor-record';

export const PRIMARY_SUB = '11111111-2222-4333-8444-555555555555';

/** The example plan (examples/plan.json), validated: every role and trigger kind the planner handles. */
export function examplePlan(): Plan {
  const result = validatePlan(JSON.parse(readFileSync(join(__dirname, '../../examples/plan.json'), 'utf8')));
  if (!result.plan) throw new Error(`examples/plan.json does not validate: ${JSON.stringify(result)}`);
  return result.plan;
}

export function minimalPlan(): PlanInput & { workflows: Record<string, unknown>[] } {
  return {
    id: 'test-plan',
    primary: { location: 'westeurope', subscriptionId: PRIMARY_SUB, resourceGroup: 'rg-weu' },
    secondary: { location: 'northeurope', subscriptionId: PRIMARY_SUB, resourceGroup: 'rg-neu' },
    healthCheck: { workflow: 'health', trigger: 'manual', timeout: 'PT5S', expectStatus: [200] },
    policy: { probeInterval: 'PT30S', failureThreshold: 3 },
    workflows: [{ name: 'api', role: 'active-active', trigger: 'request', primary: 'api', secondary: 'api' }],
  };
}

/**
 * The example plan's text with its mailbox poller (an Office 365 trigger) declared server-state and made
 * active-active, definition paths made absolute so the file can be written anywhere.
 */
export function mailboxActiveActive(): string {
  const root = join(__dirname, '../..');
  const plan = JSON.parse(readFileSync(join(root, 'examples/plan.json'), 'utf8'));
  const mailbox = plan.workflows.find((w: { name: string }) => w.name === 'mailbox-poller');
  Object.assign(mailbox, { role: 'active-active', stateSide: 'server' });
  return JSON.stringify(plan, null, 2).replaceAll('../infra/', `${join(root, 'infra')}/`);
}

/** A monitor policy for the core's table tests: 3 failures in a row, 3 healthy to recover, manual failback. */
export const testPolicy = (extra: Partial<MonitorPolicy> = {}): MonitorPolicy => ({
  failureThreshold: 3,
  recoveryThreshold: 3,
  automaticFailover: true,
  failback: 'manual',
  cooldown: 'PT30M',
  maxPause: 'PT8H',
  ...extra,
});

/** The request of a failover the monitor started (its reason matters to no test that uses this). */
export const automaticFailoverRequest = (): OperationRequest => ({
  direction: 'failover',
  kind: 'emergency',
  trigger: 'automatic',
  caller: { by: 'automatic', reason: 'r' },
  override: [],
});
