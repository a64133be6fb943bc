/**
 * The task hub's retention: once a day, finished notification deliveries (one orchestration per event) and
 * finished operation sub-orchestrations (one per plan entry and batch) older than DR_RETENTION (default 90
 * days) are purged by id, found by id prefix and created-time window, page by page. Operation instances are
 * kept: their outputs are the audit records the history API reads (one per failover or failback, so they do
 * not grow the hub). Running instances are never touched.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from './client';
import { queryInstances, type InstanceQuery } from './instance-query';
import { DELIVERY_PREFIX, OPERATION_PREFIX, ORCHESTRATIONS } from './contracts';
import type { Plan } from '../plan/schema';

export const DEFAULT_RETENTION_MS = 90 * 86_400_000;
/** At most this many purges per run (the function timeout is 10 min); the rest waits for the next day. */
export const MAX_PURGES_PER_RUN = 5_000;
const FINISHED = ['Completed', 'Failed', 'Terminated'];

export interface PurgeSummary {
  event: 'taskhub.purged';
  olderThan: string;
  deliveries: number;
  subOrchestrations: number;
  /** More were due than one run purges: the next run goes on. */
  capped: boolean;
}

export async function purgeTaskHub(
  client: Pick<DurableClient, 'purgeInstanceHistory'>,
  plan: Plan,
  retentionMs: number,
  now: Date,
): Promise<PurgeSummary> {
  const olderThan = new Date(now.getTime() - retentionMs);
  let budget = MAX_PURGES_PER_RUN;
  const purgeWhere = async (query: InstanceQuery, keep: (name: string | undefined) => boolean) => {
    let purged = 0;
    let token: string | undefined;
    do {
      const page = await queryInstances(client, query, token);
      for (const i of page.instances) {
        if (keep(i.name) || budget <= 0) continue;
        const { instancesDeleted } = await client.purgeInstanceHistory(i.instanceId);
        purged += instancesDeleted;
        budget -= 1;
      }
      token = page.continuationToken;
    } while (token && budget > 0);
    return purged;
  };
  const window = { createdTimeTo: olderThan, runtimeStatus: FINISHED, showInput: false };
  const deliveries = await purgeWhere({ instanceIdPrefix: DELIVERY_PREFIX(plan.id), ...window }, () => false);
  const subOrchestrations = await purgeWhere(
    { instanceIdPrefix: OPERATION_PREFIX(plan.id), ...window },
    // The operation itself is the audit record; only its entries and batches go.
    (name) => name === ORCHESTRATIONS.operation,
  );
  return {
    event: 'taskhub.purged',
    olderThan: olderThan.toISOString(),
    deliveries,
    subOrchestrations,
    capped: budget <= 0,
  };
}

export function createPurgeHandler(
  getPlan: () => Plan,
  retentionMs: () => number,
  now: () => Date = () => new Date(),
) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const client = df.getClient(context) as DurableClient;
    const summary = await purgeTaskHub(client, getPlan(), retentionMs(), now());
    context.log(JSON.stringify(summary));
  };
}
