import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFunctionsHost, type FunctionsHost, type StoredEvent } from '../../local/host';
import { calls, resetCounters } from '../fixtures/functions-app/counters';

const app = path.resolve(__dirname, '../fixtures/functions-app');
const HOUR = 60 * 60 * 1000;
let host: FunctionsHost | undefined;

async function start(
  files: string[],
  extra: Partial<Parameters<typeof startFunctionsHost>[0]> = {},
): Promise<FunctionsHost> {
  host = await startFunctionsHost({
    files: files.map((f) => path.join(app, f)),
    checkDeterminism: true,
    startTime: '2025-03-01T00:00:00Z',
    ...extra,
  });
  return host;
}

function types(history: StoredEvent[] | undefined): string[] {
  const names: Record<number, string> = {
    0: 'ExecutionStarted',
    1: 'ExecutionCompleted',
    4: 'TaskScheduled',
    5: 'TaskCompleted',
    6: 'TaskFailed',
    7: 'SubCreated',
    8: 'SubCompleted',
    10: 'TimerCreated',
    11: 'TimerFired',
    12: 'OrchestratorStarted',
    13: 'OrchestratorCompleted',
    15: 'EventRaised',
  };
  return (history ?? []).map((e) => names[e.EventType] ?? String(e.EventType));
}

beforeEach(() => resetCounters());
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe.each(['V1', 'V4'] as const)('fan-out with retries (replay schema %s)', (schema) => {
  test('each activity fails twice then succeeds; retries wait on back-off timers on the virtual clock', async () => {
    const h = await start(['fanout.ts'], { replaySchema: schema });
    const id = h.durable.startNew('fanOut', { input: [1, 2, 3] });
    await h.runUntilIdle();
    // First attempts failed; the retry timers (1 s) have not fired: no time has passed.
    expect(h.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    expect([...calls.entries()].sort()).toEqual([
      ['flaky:1', 1],
      ['flaky:2', 1],
      ['flaky:3', 1],
    ]);
    await h.clock.advanceBy(999);
    expect(calls.get('flaky:1')).toBe(1);
    await h.clock.advanceBy(1);
    expect(calls.get('flaky:1')).toBe(2);
    // Second back-off is 2 s (coefficient 2): after 1 more second nothing new.
    await h.clock.advanceBy(1000);
    expect(calls.get('flaky:1')).toBe(2);
    await h.clock.advanceBy(1000);
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(12);
    expect(status.customStatus).toEqual({ done: 3 });
    expect([...calls.values()]).toEqual([3, 3, 3]);
    const t = types(h.durable.history(id));
    expect(t.filter((x) => x === 'TaskFailed')).toHaveLength(6);
    expect(t.filter((x) => x === 'TimerFired')).toHaveLength(6);
    expect(t.filter((x) => x === 'TaskCompleted')).toHaveLength(3);
    expect(h.clock.now() - Date.parse('2025-03-01T00:00:00Z')).toBe(3000);
  });
});

describe('durable timers and events', () => {
  test('a two-hour durable timer fires on virtual time, not before', async () => {
    const h = await start(['timers.ts']);
    const id = h.durable.startNew('sleepy');
    await h.runUntilIdle();
    expect(calls.get('stamp:before')).toBe(1);
    await h.clock.advanceBy(2 * HOUR - 1);
    expect(calls.get('stamp:after')).toBeUndefined();
    expect(h.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    await h.clock.advanceBy(1);
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ before: 'before', after: 'after', wokeAt: '2025-03-01T02:00:00.000Z' });
  });

  test('an event raised while the orchestrator waits wins over the timeout; the timer is cancelled', async () => {
    const h = await start(['timers.ts']);
    const id = h.durable.startNew('approval');
    await h.clock.advanceBy(HOUR);
    expect(h.durable.raiseEvent(id, 'Approval', { by: 'ops' })).toBe('accepted');
    await h.runUntilIdle();
    expect(h.durable.getStatus(id)).toMatchObject({
      runtimeStatus: 'Completed',
      output: { approved: { by: 'ops' } },
    });
    expect(h.durable.raiseEvent(id, 'Approval', 1)).toBe('notRunning');
    expect(h.durable.raiseEvent('nobody', 'Approval', 1)).toBe('notFound');
  });

  test('without an event the timeout wins after a day', async () => {
    const h = await start(['timers.ts']);
    const id = h.durable.startNew('approval');
    await h.clock.advanceBy(24 * HOUR);
    expect(h.durable.getStatus(id)).toMatchObject({ runtimeStatus: 'Completed', output: { approved: null } });
  });

  test('a custom status over 16 KB of UTF-16 JSON fails the orchestration, as the extension does', async () => {
    const h = await start(['timers.ts']);
    // {"pad":"..."} is 10 characters plus the padding; 2 bytes each.
    const fits = h.durable.startNew('bigStatus', { input: 8192 - 10 });
    const over = h.durable.startNew('bigStatus', { input: 8192 - 9 });
    await h.runUntilIdle();
    expect(h.durable.getStatus(fits)).toMatchObject({ runtimeStatus: 'Completed', output: 'done' });
    expect(h.durable.getStatus(over)?.runtimeStatus).toBe('Failed');
    expect(JSON.stringify(h.durable.getStatus(over)?.output)).toMatch(/exceeds the 16 KB limit/);
    expect(calls.get('stamp:after-status')).toBe(1); // the failed one scheduled nothing
  });

  test('an event raised before the orchestrator waits for it is buffered', async () => {
    const h = await start(['late-event.ts']);
    const id = h.durable.startNew('timerThenEvent');
    // Raised once the start is stored (a raise before that is discarded, as in Azure: test/host/
    // event-race.test.ts), while the orchestrator still waits on its timer.
    await h.runUntilIdle();
    expect(h.durable.raiseEvent(id, 'Go', 'early')).toBe('accepted');
    await h.runUntilIdle();
    expect(h.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    await h.clock.advanceBy(60_000);
    expect(h.durable.getStatus(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'early' });
    const t = types(h.durable.history(id));
    expect(t.indexOf('EventRaised')).toBeLessThan(t.indexOf('TimerFired'));
  });

  test('continueAsNew keeps history bounded over 1000 generations', async () => {
    const h = await start(['timers.ts'], { checkDeterminism: false });
    const id = h.durable.startNew('eternal', { input: { n: 0, until: 1000 } });
    await h.runUntilIdle();
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(1000);
    expect(calls.get('stamp:loop')).toBe(1000);
    const history = h.durable.history(id)!;
    expect(history.length).toBeLessThanOrEqual(10);
    const stats = h.stats().historyEventsByInstance[id]!;
    expect(stats.executions).toBe(1000);
    expect(stats.current).toBe(history.length);
    expect(stats.appended).toBeGreaterThan(5000);
  });

  test('sub-orchestrations run and report their output to the parent', async () => {
    const h = await start(['timers.ts']);
    const id = h.durable.startNew('parent', { instanceId: 'p1' });
    await h.runUntilIdle();
    expect(h.durable.getStatus(id)).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['child-1!', 'child-2!'],
    });
    expect(
      h.durable
        .list()
        .map((s) => s.instanceId)
        .sort(),
    ).toEqual(['p1', 'p1:0000', 'p1:0001']);
  });
});

describe('failures', () => {
  test('a non-deterministic orchestrator is failed with a NonDeterminismError', async () => {
    const h = await start(['nondeterministic.ts']);
    const bad = h.durable.startNew('wobbly');
    const good = h.durable.startNew('steady');
    await h.runUntilIdle();
    expect(h.durable.getStatus(good)?.runtimeStatus).toBe('Completed');
    const status = h.durable.getStatus(bad)!;
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.failureDetails?.errorType).toBe('NonDeterminismError');
    expect(h.durable.lastError(bad)?.name).toBe('NonDeterminismError');
    expect(String(status.output)).toMatch(/wobbly/);
  });

  test('without the double replay the recorded actions still catch it on the next episode', async () => {
    const h = await start(['nondeterministic.ts'], { checkDeterminism: false });
    const bad = h.durable.startNew('wobbly');
    await h.runUntilIdle();
    expect(h.durable.getStatus(bad)?.failureDetails?.errorType).toBe('NonDeterminismError');
  });

  test('an orchestrator that throws fails the instance with its message', async () => {
    const h = await start(['nondeterministic.ts']);
    const id = h.durable.startNew('broken');
    await h.runUntilIdle();
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe('plan rejected: region westeurope is not paired');
  });

  test('terminate stops an instance and drops its pending timer', async () => {
    const h = await start(['timers.ts']);
    const id = h.durable.startNew('sleepy');
    await h.runUntilIdle();
    expect(h.durable.terminate(id, 'operator abort')).toBe('accepted');
    await h.clock.advanceBy(3 * HOUR);
    expect(h.durable.getStatus(id)).toMatchObject({ runtimeStatus: 'Terminated', output: 'operator abort' });
    expect(calls.get('stamp:after')).toBeUndefined();
    expect(h.durable.terminate(id)).toBe('notRunning');
  });
});

describe.each(['V1', 'V4'] as const)('callActivityWithRetry giving up (replay schema %s)', (schema) => {
  test('after the last failed attempt the final retry timer fires at once: startRetry gives up after 15 s, not 31 s', async () => {
    const h = await start(['give-up.ts'], { replaySchema: schema });
    const t0 = h.clock.now();
    const id = h.durable.startNew('giveUp');
    await h.runUntilIdle();
    // Five attempts, four waits between them: 1 + 2 + 4 + 8 s. Nothing waits after the fifth.
    await h.clock.advanceBy(14_999);
    expect(calls.get('always')).toBe(4);
    expect(h.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    await h.clock.advanceBy(1);
    await h.runUntilIdle();
    expect(calls.get('always')).toBe(5);
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatch(
      new RegExp(`^gave up at ${new Date(t0 + 15_000).toISOString()}: .*failure 5`),
    );
    // The history still has the final timer (the replay needs it), created and fired at the same instant.
    const history = h.durable.history(id)!;
    const timers = history.filter((e) => e.EventType === 10);
    expect(timers).toHaveLength(5);
    expect(timers.at(-1)!.FireAt).toBe(new Date(t0 + 15_000).toISOString());
    expect(types(history).filter((x) => x === 'TimerFired')).toHaveLength(5);
  });
});
