/**
 * One operator request's audit record: the instance's output is the record it was started with, so the
 * history reads requests as it reads operations (by id prefix and created time, outputs as records).
 */
import type * as df from 'durable-functions';
import type { RequestRecord } from '../durable/contracts';
import type { Gen } from '../durable/activity-calls';

// eslint-disable-next-line require-yield -- nothing to wait for: the record is the input
export function* requestRecordOrchestrator(context: df.OrchestrationContext): Gen<RequestRecord> {
  return context.df.getInput<RequestRecord>();
}
