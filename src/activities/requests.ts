/**
 * The audit of operators' requests: each pause, resume and failover or failback request the monitor answered
 * becomes one orchestration instance whose output is its record (as an operation's audit record is its
 * instance's output), so it lives in the task hub, survives restarts and is listed by id prefix and time.
 */
import { errorMessage } from '../core/errors';
import { ORCHESTRATIONS, requestInstanceId, type RequestRecord } from '../durable/contracts';
import { statusIfAny, type DurableClient } from '../durable/client';
import type { ActivityContext } from './context';

export function requestActivities({ plan }: ActivityContext) {
  /**
   * Starts one record instance per request, idempotently (an existing one, from a retried hand-off, is left as
   * it is). Never throws: a record the store refused is named in an ALERT line and in the result.
   */
  const recordRequests = async (
    requests: RequestRecord[],
    client: DurableClient,
    alert: (line: string) => void = console.error,
  ): Promise<{ requestId: string; recorded: boolean; error?: string }[]> =>
    Promise.all(
      requests.map(async (request) => {
        const instanceId = requestInstanceId(plan.id, request.requestId);
        try {
          if (!(await statusIfAny(client, instanceId)))
            await client.startNew(ORCHESTRATIONS.request, { instanceId, input: request });
          return { requestId: request.requestId, recorded: true };
        } catch (err) {
          if (await statusIfAny(client, instanceId).catch(() => undefined))
            return { requestId: request.requestId, recorded: true }; // another hand-off won the race
          const error = errorMessage(err);
          alert(
            `ALERT request not recorded in the audit: plan ${plan.id}, ${request.request} by ${request.by} at ${request.at} (${request.answer}): ${error}`,
          );
          return { requestId: request.requestId, recorded: false, error };
        }
      }),
    );
  return { recordRequests };
}
