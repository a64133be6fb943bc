/**
 * The failover/failback history: the plan's operation orchestrations (their outputs are the audit records),
 * summarised and paged newest first. Pure over instance statuses as the durable client lists them.
 */
import type { z } from 'zod';
import {
  OPERATION_PREFIX,
  ORCHESTRATIONS,
  REQUEST_PREFIX,
  type OperationInput,
  type OperationRecord,
  type RequestRecord,
} from '../durable/contracts';
import type { InstanceInfo } from '../durable/client';
import { movedExtent, notMovedOf, type MovedExtent, type NotMoved } from '../core/operation-record';
import { RequestValidationError } from './errors';
import type { HistoryItemSchema, HistoryResponseSchema, RequestsResponseSchema } from './schemas';

export type { InstanceInfo } from '../durable/client';

export type HistoryItem = z.output<typeof HistoryItemSchema>;
export type HistoryPage = z.output<typeof HistoryResponseSchema>;
export type RequestsPage = z.output<typeof RequestsResponseSchema>;

const ALIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

export const isoOf = (t: Date | string): string =>
  t instanceof Date ? t.toISOString() : new Date(t).toISOString();

export const isRunning = (runtimeStatus: string): boolean => ALIVE.has(runtimeStatus);

/** The audit record, when the instance finished with one (a crashed orchestration outputs an error string). */
export function recordOf(instance: InstanceInfo): OperationRecord | undefined {
  const out = instance.output as Partial<OperationRecord> | null | undefined;
  return out && typeof out === 'object' && typeof out.operationId === 'string'
    ? (out as OperationRecord)
    : undefined;
}

function requestOf(instance: InstanceInfo): OperationInput['request'] | undefined {
  const input = instance.input as Partial<OperationInput> | null | undefined;
  return recordOf(instance)?.request ?? (input && typeof input === 'object' ? input.request : undefined);
}

/** The entries an operation did not (wholly) move, with why: its record's list (computed for older records). */
export function notMovedIn(record: OperationRecord): NotMoved[] {
  return record.notMoved ?? notMovedOf(record.request.direction, record.entries);
}

/**
 * How much an ended operation moved, for whether its RTO means anything: `none` also when it ran no entry at
 * all (stopped while planning, failed to plan), `partial` when a stop left entries not run.
 */
export function extentOfRecord(record: OperationRecord): MovedExtent {
  if (record.entries.length === 0) return 'none';
  const extent = movedExtent(record.entries, notMovedIn(record));
  return extent === 'all' && record.stopped?.notRun.length ? 'partial' : extent;
}

export function historyItem(planId: string, instance: InstanceInfo): HistoryItem {
  const operationId = instance.instanceId.slice(OPERATION_PREFIX(planId).length);
  const record = recordOf(instance);
  const request = requestOf(instance);
  const running = isRunning(instance.runtimeStatus);
  const direction = request?.direction ?? (operationId.startsWith('failback') ? 'failback' : 'failover');
  return {
    operationId,
    direction,
    ...(request
      ? {
          kind: request.kind,
          trigger: request.trigger,
          by: request.caller.by,
          reason: request.caller.reason,
          ...(request.override.length ? { override: request.override } : {}),
        }
      : {}),
    status: running ? 'running' : (record?.status ?? instance.runtimeStatus.toLowerCase()),
    runtimeStatus: instance.runtimeStatus,
    startedAt: isoOf(instance.createdTime),
    ...(running ? {} : { finishedAt: isoOf(instance.lastUpdatedTime) }),
    ...(record?.rto.measuredMs !== undefined ? { measuredRtoMs: record.rto.measuredMs } : {}),
    ...(record && !running ? { moved: extentOfRecord(record) } : {}),
    ...(record?.error
      ? { error: record.error }
      : !record && !running && typeof instance.output === 'string'
        ? { error: instance.output }
        : {}),
  };
}

/** Operation ids carry the monitor's sequence number (`failover-3-…`): the tie-break for equal times. */
const seqOf = (operationId: string): number => Number(/^[a-z]+-(\d+)-/.exec(operationId)?.[1] ?? 0);

/** The first window the history reads back from its end; each next one is twice as long. */
export const FIRST_WINDOW_MS = 7 * 86_400_000;
/** How far back the history looks before it calls a plan's past empty: ten years. */
export const HISTORY_REACH_MS = 3653 * 86_400_000;

/**
 * The instances one page of an audit (operations, requests: one orchestration under one id prefix) needs, read
 * by id prefix in created-time windows walking back from `end` (the `before` instance's start, or now): a week,
 * then two, four... until the page and one more are found or ten years are covered. Never a scan of the task
 * hub; the windows' instances come back in any order.
 */
export async function instancesBefore(
  prefix: string,
  orchestration: string,
  end: Date,
  wanted: number,
  query: (window: { from: Date; to: Date }) => Promise<InstanceInfo[]>,
): Promise<InstanceInfo[]> {
  const floor = end.getTime() - HISTORY_REACH_MS;
  const found = new Map<string, InstanceInfo>();
  let to = end.getTime();
  let span = FIRST_WINDOW_MS;
  while (found.size < wanted && to > floor) {
    const from = Math.max(floor, to - span);
    for (const i of await query({ from: new Date(from), to: new Date(to) }))
      if (i.name === undefined || i.name === orchestration)
        if (i.instanceId.startsWith(prefix)) found.set(i.instanceId, i);
    to = from - 1; // createdTimeTo is inclusive: the next window starts a millisecond earlier
    span *= 2;
  }
  return [...found.values()];
}

/** A request's audit record: the instance's output, or its input while the instance has not run yet. */
export function requestRecordOf(instance: InstanceInfo): RequestRecord | undefined {
  for (const r of [instance.output, instance.input] as (Partial<RequestRecord> | null | undefined)[])
    if (r && typeof r === 'object' && typeof r.requestId === 'string' && typeof r.at === 'string')
      return r as RequestRecord;
  return undefined;
}

/** This plan's operator requests with their answers, newest first, one page of them. */
export function requestsPage(
  planId: string,
  instances: readonly InstanceInfo[],
  query: { limit: number; before?: string | undefined },
): RequestsPage {
  const items = instances
    .filter(
      (s) =>
        s.instanceId.startsWith(REQUEST_PREFIX(planId)) &&
        (s.name === undefined || s.name === ORCHESTRATIONS.request),
    )
    .flatMap((s) => {
      const r = requestRecordOf(s);
      if (!r) return [];
      const { planId: _plan, ...item } = r;
      return [item];
    })
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.seq - a.seq);
  return pageAfter(items, (i) => i.requestId, query, `the requests of plan ${planId}`, 'request');
}

/** One page of items sorted newest first: those after `before` (which must be among them), and the next id. */
function pageAfter<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  query: { limit: number; before?: string | undefined },
  where: string,
  what: string,
): { items: T[]; nextBefore?: string } {
  let start = 0;
  if (query.before !== undefined) {
    const at = items.findIndex((i) => idOf(i) === query.before);
    if (at < 0)
      throw new RequestValidationError('query', [
        { path: 'before', message: `no ${what} ${query.before} in ${where}` },
      ]);
    start = at + 1;
  }
  const page = items.slice(start, start + query.limit);
  const more = start + query.limit < items.length;
  return { items: page, ...(more && page.length ? { nextBefore: idOf(page.at(-1)!) } : {}) };
}

/** This plan's operations, newest first, one page of them. */
export function historyPage(
  planId: string,
  instances: readonly InstanceInfo[],
  query: { limit: number; before?: string | undefined },
): HistoryPage {
  const prefix = OPERATION_PREFIX(planId);
  const items = instances
    .filter(
      (s) => s.instanceId.startsWith(prefix) && (s.name === undefined || s.name === ORCHESTRATIONS.operation),
    )
    .map((s) => historyItem(planId, s))
    .sort(
      (a, b) =>
        Date.parse(b.startedAt) - Date.parse(a.startedAt) ||
        seqOf(b.operationId) - seqOf(a.operationId) ||
        b.operationId.localeCompare(a.operationId),
    );
  return pageAfter(items, (i) => i.operationId, query, `the history of plan ${planId}`, 'operation');
}
