import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { observePlan } from '../../src/app/observe';
import { simulatorConnection } from '../../local/sim/arm';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { validatePlan } from '../../src/plan/validate';
import type { Plan } from '../../src/plan/schema';
import { startCheckedSimulator, type CheckedSimulator } from '../sim/arm/helpers';
import { sampleEstateSeed } from '../../local/sim/sample-estate';
import { minimalPlan } from '../support/plans';

const N = 120;
const LARGE = { capacity: 10_000, refillPerSecond: 10_000 };
const connection = (timeoutMs?: number) => ({
  ...simulatorConnection(sim, new ArmThrottle({ reads: LARGE, writes: LARGE }), timeoutMs),
  maxRetries: 0,
});
let sim: CheckedSimulator;
let plan: Plan;

beforeAll(async () => {
  const raw = minimalPlan();
  raw.workflows = Array.from({ length: N }, (_, i) => ({
    name: `wf-${i}`,
    role: 'active-passive' as const,
    trigger: 'webhook' as const,
    primary: `wf-${i}`,
    secondary: `wf-${i}`,
  }));
  plan = validatePlan(raw).plan!;
  // Generous buckets on both sides: this test is about which reads are made, not about pacing them.
  sim = await startCheckedSimulator({ seed: sampleEstateSeed(plan), throttle: { reads: LARGE } });
});
// stop() also fails the file if any ARM answer was outside the official spec.
afterAll(async () => sim?.stop());
// A failed assertion must not leave a region down for the next test.
afterEach(async () => {
  sim.restore('westeurope');
  await sim.settle();
});

describe('reading the estate before an operation', () => {
  it('stops asking a region whose ARM refused several reads in a row, and still reads the other region', async () => {
    sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    sim.clearRequestLog();
    const control = createArmLogicAppsControl(connection());
    const observed = [...(await observePlan(plan, control)).values()];
    const primary = observed.filter((o) => o.target.region === 'primary');
    const secondary = observed.filter((o) => o.target.region === 'secondary');
    expect(primary.every((o) => !o.observation.reachable)).toBe(true);
    expect(secondary.every((o) => 'state' in o.observation && o.observation.state === 'Disabled')).toBe(true);
    const asked = sim.requestLog().filter((e) => e.listener === 'arm' && e.region === 'westeurope').length;
    // At most the reads already in flight when the region was judged down, far fewer than one per workflow.
    expect(asked).toBeLessThanOrEqual(40);
    expect(asked).toBeGreaterThanOrEqual(3);
    sim.restore('westeurope');
    await sim.settle();
  });

  it('does not wait for a region whose connections hang: each read times out, then the region is not asked', async () => {
    sim.outage('westeurope', { kind: 'down', mode: 'hang' });
    sim.clearRequestLog();
    // A short timeout so the test does not wait the default 15 s per read; long enough that the secondary's
    // reads answer in time on a loaded 2-core CI machine.
    const control = createArmLogicAppsControl(connection(1500));
    const observed = [...(await observePlan(plan, control)).values()];
    const primary = observed.filter((o) => o.target.region === 'primary');
    expect(primary).toHaveLength(N);
    for (const o of primary) expect(o.observation.reachable).toBe(false);
    const timedOut = primary.filter(
      (o) => 'error' in o.observation && /no answer within 1500 ms/.test(o.observation.error ?? ''),
    );
    const skipped = primary.filter(
      (o) => 'error' in o.observation && /did not answer 3 reads in a row/.test(o.observation.error ?? ''),
    );
    expect(timedOut.length).toBeGreaterThanOrEqual(3);
    expect(timedOut.length + skipped.length).toBe(N);
    expect(
      observed.filter(
        (o) =>
          o.target.region === 'secondary' && 'state' in o.observation && o.observation.state === 'Disabled',
      ),
    ).toHaveLength(N);
    const held = sim.requestLog().filter((e) => e.listener === 'arm' && e.region === 'westeurope');
    expect(held.every((e) => e.outcome === 'held')).toBe(true);
    // Only the reads in flight when the region was judged down were sent, not one per workflow.
    expect(held.length).toBe(timedOut.length);
    expect(held.length).toBeLessThanOrEqual(40);
    sim.restore('westeurope');
    await sim.settle();
  });

  it('a region that answers is read in full, workflow by workflow', async () => {
    sim.clearRequestLog();
    const control = createArmLogicAppsControl(connection());
    const observed = [...(await observePlan(plan, control)).values()];
    expect(
      observed.filter((o) => 'state' in o.observation && o.observation.state === 'Enabled'),
    ).toHaveLength(N);
    expect(sim.requestLog().filter((e) => e.listener === 'arm' && e.method === 'GET')).toHaveLength(2 * N);
  });
});
