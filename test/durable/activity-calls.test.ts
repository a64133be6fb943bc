/**
 * The typed activity calls: the name comes from the ACTIVITIES table and the input and result types from the
 * activities factory, so a wrong name, input or result is a compile error (the build type-checks this file).
 */
import type * as df from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { activityTask, callActivity, type ActivityOutput } from '../../src/durable/activity-calls';
import { ACTIVITIES } from '../../src/durable/contracts';
import { armRetry } from '../../src/durable/retries';
import type { registerActivity, registerClientActivity } from '../../src/composition';

function recordingContext() {
  const calls: { name: string; input: unknown; retry?: df.RetryOptions }[] = [];
  const task = (result: unknown) => ({ result }) as unknown as df.Task;
  const context = {
    df: {
      callActivity: (name: string, input: unknown) => (calls.push({ name, input }), task(name)),
      callActivityWithRetry: (name: string, retry: df.RetryOptions, input: unknown) => (
        calls.push({ name, input, retry }),
        task(name)
      ),
    },
  } as unknown as df.OrchestrationContext;
  return { context, calls };
}

describe('typed activity calls', () => {
  it('call the registered name with the input, with the retry policy when given', () => {
    const { context, calls } = recordingContext();
    activityTask(context, 'probe', { at: '2026-01-01T00:00:00.000Z' });
    activityTask(context, 'planOperation', { direction: 'failover', kind: 'emergency' }, armRetry());
    expect(calls.map((c) => c.name)).toEqual([ACTIVITIES.probe, ACTIVITIES.planOperation]);
    expect(calls[0]!.retry).toBeUndefined();
    expect(calls[1]!.retry?.maxNumberOfAttempts).toBe(10);
  });

  it('callActivity yields the task and returns what the replay hands back', () => {
    const { context } = recordingContext();
    const gen = callActivity(context, 'operationStatus', { planId: 'p', operationId: 'o' });
    const yielded = gen.next();
    expect(yielded.done).toBe(false);
    const answer = { finished: false } as ActivityOutput<'operationStatus'>;
    expect(gen.next(answer)).toEqual({ done: true, value: answer });
  });
});

// Never run: each line must fail to compile, or `npm run build` fails on an unused @ts-expect-error.
export function compileErrors(context: df.OrchestrationContext, register: typeof registerActivity) {
  // @ts-expect-error: no activity has this name
  activityTask(context, 'noSuchActivity', {});
  // @ts-expect-error: the probe takes { at?: string }
  activityTask(context, 'probe', { at: 5 });
  const gen = callActivity(context, 'probe', {});
  const probe = gen.next().value as Exclude<ReturnType<typeof gen.next>['value'], df.Task>;
  // @ts-expect-error: a probe result has no operationId
  void probe.operationId;
  // @ts-expect-error: signalMonitor needs the durable client binding: registerClientActivity
  register('signalMonitor');
  // @ts-expect-error: reportDroppedNotification writes its ALERT line: registerLoggingActivity
  register('reportDroppedNotification');
  const registerClient: typeof registerClientActivity = () => undefined;
  // @ts-expect-error: the probe takes no durable client
  registerClient('probe');
}
