/**
 * The monitor: a singleton eternal orchestration per plan, as a short effect loop around the pure step
 * (src/core/monitor-step.ts), which makes every decision. Each execution takes exactly one signal, runs the
 * effects the step asks for as activities (feeding each result, or failure, back through the step), hands
 * its notices to the outbox once, publishes the record and continues as new, so history stays bounded.
 * Signals that arrive mid-execution are lost at continueAsNew: ticks and HTTP requests are sent again; an
 * operation's end is reconciled from its status.
 */
import type * as df from 'durable-functions';
import { monitorRecordOf, step, type ActiveEffect, type MonitorStepInput } from '../core/monitor-step';
import { errorMessage } from '../core/errors';
import {
  MONITOR_SIGNAL,
  fitMonitorStatus,
  type MonitorInput,
  type NotificationInput,
  type RequestRecord,
  type Signal,
} from '../durable/contracts';
import { callActivity, type Gen } from '../durable/activity-calls';
import { startRetry } from '../durable/retries';
import { queueNotifications } from './notify';

export function* monitorOrchestrator(context: df.OrchestrationContext): Gen<void> {
  const now = () => context.df.currentUtcDateTime;
  const input = monitorRecordOf(context.df.getInput());
  let record: MonitorInput = { ...input, executions: input.executions + 1 };
  publish(context, record);
  const signal = (yield context.df.waitForExternalEvent(MONITOR_SIGNAL)) as Signal;
  let out = step(record, { type: 'signal', signal }, now());
  // The notices go to the outbox once, after every decision and start: the monitor never waits on Service Bus.
  const outbox: NotificationInput[] = [];
  // Operators' requests and their answers, for the audit, recorded once too (never waited on for an answer).
  const requests: RequestRecord[] = [];
  // Effects in order; what an effect's result makes the step ask for runs before the rest.
  const queue = [...out.effects];
  for (let effect = queue.shift(); effect; effect = queue.shift()) {
    if (effect.type === 'notify') {
      outbox.push(effect.notification);
      continue;
    }
    if (effect.type === 'record-request') {
      requests.push(effect.request);
      continue;
    }
    out = step(out.record, yield* perform(context, effect), now());
    queue.unshift(...out.effects);
  }
  record = out.record;
  yield* queueNotifications(context, outbox);
  yield* recordRequests(context, requests);
  publish(context, record);
  context.df.continueAsNew(record);
}

/**
 * Hands the answered requests to the audit: one record instance each (a store write, idempotent on the request
 * id). The activity records what the store refused (an ALERT line) instead of throwing; a failure of the
 * activity itself is the monitor's to survive, never its end.
 */
function* recordRequests(context: df.OrchestrationContext, requests: RequestRecord[]): Gen<void> {
  if (!requests.length) return;
  try {
    yield* callActivity(context, 'recordRequests', requests);
  } catch {
    // Logged by the activity host as a failed activity; the answers stand in the monitor's record.
  }
}

function publish(context: df.OrchestrationContext, record: MonitorInput): void {
  context.df.setCustomStatus(
    fitMonitorStatus({ ...record, updatedAt: context.df.currentUtcDateTime.toISOString() }),
  );
}

/** One effect as its activity; what it returned, or that it failed after its retries, is the step's next input. */
function* perform(context: df.OrchestrationContext, effect: ActiveEffect): Gen<MonitorStepInput> {
  try {
    switch (effect.type) {
      case 'probe':
        return { type: 'probed', result: yield* callActivity(context, 'probe', { at: effect.at }) };
      case 'start-operation':
        // The activity is idempotent on the instance id, so a retry never starts a second operation.
        yield* callActivity(context, 'startOperation', effect.input, startRetry());
        return { type: 'operation-started', operationId: effect.input.operationId };
      case 'operation-status': {
        const { planId, operationId } = effect;
        const progress = yield* callActivity(context, 'operationStatus', { planId, operationId });
        return { type: 'operation-status', operationId, progress };
      }
      case 'apply-fences':
        return {
          type: 'fences-applied',
          result: yield* callActivity(context, 'applyPendingFences', effect.targets),
          ...(effect.during ? { during: effect.during } : {}),
        };
      case 'apply-switches':
        return {
          type: 'switches-applied',
          result: yield* callActivity(context, 'applyPendingSwitches', effect.switches),
        };
      case 'cancel-operation': {
        const { planId, operationId, stop } = effect;
        yield* callActivity(context, 'cancelOperation', { planId, operationId, stop });
        return { type: 'cancel-sent', operationId };
      }
      case 'check-drift': {
        const { operationId, activeRegion, pendingFences } = effect;
        const input = { operationId, activeRegion, pendingFences };
        return { type: 'drift-checked', result: yield* callActivity(context, 'checkDrift', input) };
      }
    }
  } catch (err) {
    // Any failure of an activity (after its retries) is a fact the step decides on, never the monitor's end.
    return { type: 'effect-failed', effect, error: errorMessage(err) };
  }
}
