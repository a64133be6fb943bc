/**
 * Flex Consumption runs several instances of the app, each with its own ARM pacer, all as one principal
 * against one subscription bucket. Two instances, each pacing to its share (DR_ARM_INSTANCES=2), hammer
 * writes at the ARM simulator, which enforces the bucket per subscription and principal: together they
 * draw no 429. Two instances that each believe the whole bucket is theirs (the per-process pacer) do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARM_BUCKETS, ArmThrottle, bucketShare, realClock } from '../../src/adapters/arm/throttle';
import { armInstancesFromSettings, ArmSettingsError, DEFAULT_ARM_INSTANCES } from '../../src/config/arm';
import { startCheckedSimulator, type CheckedSimulator } from '../sim/arm/helpers';
import { oneSubscriptionSeed, simLogicAppsControl } from '../support/arm-sim';

const SUB = '5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const PER_INSTANCE = 30;
/** A small bucket with ARM's shape, so the test takes seconds: 20 writes, 10 per second back. */
const BUCKET = { capacity: 20, refillPerSecond: 10 };

let sim: CheckedSimulator;
beforeAll(async () => {
  sim = await startCheckedSimulator({
    seed: oneSubscriptionSeed(SUB, [
      {
        name: 'rg-weu',
        location: 'westeurope',
        workflows: Array.from({ length: 2 * PER_INSTANCE }, (_, i) => ({
          name: `wf-${i}`,
          state: 'Disabled' as const,
          definition: { triggers: {}, actions: {} },
        })),
      },
    ]),
  });
});
afterAll(async () => sim?.stop());

/** One app instance: its own pacer and ARM clients, as each Flex Consumption instance has. */
function instance(instances: number) {
  const throttle = new ArmThrottle({ reads: ARM_BUCKETS.reads, writes: BUCKET }, realClock, instances);
  const control = simLogicAppsControl(sim, { throttle });
  return { throttle, control };
}

/** Both instances write at once; the statuses ARM answered. */
async function bothWrite(instances: number): Promise<number[]> {
  sim.configureThrottle({ writes: BUCKET }); // a full bucket to start from
  const before = sim.requestLog().length;
  const [a, b] = [instance(instances), instance(instances)];
  const write = (c: ReturnType<typeof instance>, i: number) =>
    c.control
      .setState({ subscriptionId: SUB, resourceGroup: 'rg-weu', name: `wf-${i}` }, 'Enabled', {
        knownState: 'Disabled',
      })
      .catch(() => undefined);
  await Promise.all([
    ...Array.from({ length: PER_INSTANCE }, (_, i) => write(a, i)),
    ...Array.from({ length: PER_INSTANCE }, (_, i) => write(b, PER_INSTANCE + i)),
  ]);
  const posts = sim
    .requestLog()
    .slice(before)
    .filter((r) => r.method === 'POST');
  // ARM's enable is idempotent, so the second run may enable the same workflows again: each is one write.
  return posts.map((r) => r.status ?? 0);
}

describe('ARM pacing across instances of the app', () => {
  afterAll(() => sim.configureThrottle({ writes: ARM_BUCKETS.writes }));

  it('a per-process pacer on two instances overdraws the shared write bucket (429s)', async () => {
    const statuses = await bothWrite(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });

  it('two instances pacing to their share stay within the bucket together: no 429', async () => {
    const statuses = await bothWrite(2);
    expect(statuses).toHaveLength(2 * PER_INSTANCE);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
  });

  it('the share: capacity and refill divided, at least one token; DR_ARM_INSTANCES validated', () => {
    expect(bucketShare(ARM_BUCKETS, 4).writes).toEqual({ capacity: 50, refillPerSecond: 2.5 });
    expect(bucketShare(ARM_BUCKETS, 40).writes).toEqual({ capacity: 5, refillPerSecond: 0.25 });
    expect(bucketShare(ARM_BUCKETS, 1000).writes.capacity).toBe(1);
    expect(() => bucketShare(ARM_BUCKETS, 0)).toThrow(/whole number >= 1/);
    expect(armInstancesFromSettings({})).toBe(DEFAULT_ARM_INSTANCES);
    expect(armInstancesFromSettings({ DR_ARM_INSTANCES: '40' })).toBe(40);
    for (const bad of ['0', '-1', '2.5', 'many', '1001'])
      expect(() => armInstancesFromSettings({ DR_ARM_INSTANCES: bad }), bad).toThrow(ArmSettingsError);
  });
});
