/**
 * The typed activity calls: the name comes from the ACTIVITIES table and the input and result types from the
 * activities factory, so a wrong name, input or result is a compile error (the build type-checks this file).
 */
import type * as df from 'durable-functions';
import { describe, expect, it } from 'vitest';
import {
  activityTask,
  allOf,
  callActivity,
  subOrchestrationTask,
  type ActivityOutput,
  type TypedTask,
} from '../../src/durable/activity-calls';
import {
  ACTIVITIES,
  EVENT_TYPES,
  ORCHESTRATIONS,
  type EntryResult,
  type NotificationInput,
} from '../../src/durable/contracts';
import { ARM_BACKOFF, DELIVERY_BACKOFF, armRetry, backoffMs, startRetry } from '../../src/durable/retries';
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
      callSubOrchestrator: (name: string, input: unknown, instanceId: string) => (
        calls.push({ name, input: { input, instanceId } }),
        task(name)
      ),
      Task: { all: (tasks: df.Task[]) => ({ all: tasks }) as unknown as df.Task },
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

describe('typed sub-orchestration calls and fan-outs', () => {
  it('call the registered orchestration with the input under the given instance id', () => {
    const { context, calls } = recordingContext();
    subOrchestrationTask(context, 'batch', { operationId: 'op', inputs: [] }, 'op-g0-batch');
    expect(calls).toEqual([
      {
        name: ORCHESTRATIONS.batch,
        input: { input: { operationId: 'op', inputs: [] }, instanceId: 'op-g0-batch' },
      },
    ]);
  });

  it('allOf yields one Task.all and hands each named group its own results, in order', () => {
    const { context } = recordingContext();
    const t = (n: string) => ({ n }) as unknown as TypedTask<string>;
    const gen = allOf(context, { a: [t('a1')], none: [] as TypedTask<number>[], b: [t('b1'), t('b2')] });
    const yielded = gen.next();
    expect(yielded.value).toEqual({ all: [{ n: 'a1' }, { n: 'b1' }, { n: 'b2' }] });
    expect(gen.next(['A1', 'B1', 'B2'])).toEqual({
      done: true,
      value: { a: ['A1'], none: [], b: ['B1', 'B2'] },
    });
    // Nothing to fan out: no Task.all is yielded at all.
    const empty = allOf(context, { a: [] as TypedTask<string>[] });
    expect(empty.next()).toEqual({ done: true, value: { a: [] } });
  });
});

describe('one backoff', () => {
  it('doubles from the first pause up to the cap, for the retry policies and the hand-written waits alike', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(ARM_BACKOFF, n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffMs(DELIVERY_BACKOFF, 1)).toBe(2_000);
    expect(backoffMs(DELIVERY_BACKOFF, 100)).toBe(300_000);
    const arm = armRetry();
    expect([
      arm.firstRetryIntervalInMilliseconds,
      arm.backoffCoefficient,
      arm.maxRetryIntervalInMilliseconds,
    ]).toEqual([ARM_BACKOFF.firstMs, ARM_BACKOFF.factor, ARM_BACKOFF.maxMs]);
    expect(startRetry().maxNumberOfAttempts).toBe(5);
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
  // @ts-expect-error: no sub-orchestration has this name
  subOrchestrationTask(context, 'monitor', {}, 'x');
  // @ts-expect-error: an entry's input is an EntryInput, not a batch's
  subOrchestrationTask(context, 'entry', { operationId: 'op', inputs: [] }, 'x');
  // @ts-expect-error: a batch returns EntryResult[], not one EntryResult
  const entry: TypedTask<EntryResult> = subOrchestrationTask(
    context,
    'batch',
    { operationId: 'op', inputs: [] },
    'x',
  );
  void entry;
  const degraded: NotificationInput = {
    type: EVENT_TYPES.healthDegraded,
    planId: 'p',
    correlationId: 'c',
    messageId: 'm',
    time: 't',
    // @ts-expect-error: a degraded event carries evidence and the monitor, not an outcome
    data: { outcome: 'succeeded' },
  };
  void degraded;
}
