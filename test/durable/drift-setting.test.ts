/**
 * DR_DRIFT_CHECK_CYCLES: read once by the composition root, checked with a clear error, and carried to the
 * monitor by every watchdog tick (the monitor's step decides with it).
 */
import { describe, expect, it } from 'vitest';
import { driftCheckFrom } from '../../src/composition';
import { tickSignal } from '../../src/durable/monitor-instance';
import { examplePlan } from '../support/plans';

describe('DR_DRIFT_CHECK_CYCLES', () => {
  it('is a whole number of probe cycles from 0 (off) to 1000; absent: the monitor default', () => {
    expect(driftCheckFrom({})).toEqual({});
    expect(driftCheckFrom({ DR_DRIFT_CHECK_CYCLES: ' 10 ' })).toEqual({ driftCheckCycles: 10 });
    expect(driftCheckFrom({ DR_DRIFT_CHECK_CYCLES: '0' })).toEqual({ driftCheckCycles: 0 });
    for (const bad of ['-1', '2.5', 'five', '1001'])
      expect(() => driftCheckFrom({ DR_DRIFT_CHECK_CYCLES: bad })).toThrow(
        new RegExp(`app setting DR_DRIFT_CHECK_CYCLES is ${bad.replace('.', '\\.')}: use a whole number`),
      );
  });

  it('travels with every tick when set, and is absent from the tick when not', () => {
    const plan = examplePlan();
    const at = new Date('2026-03-02T08:00:00Z');
    expect(tickSignal(plan, at, { driftCheckCycles: 3 })).toMatchObject({ driftCheckCycles: 3 });
    expect(tickSignal(plan, at)).not.toHaveProperty('driftCheckCycles');
  });
});
