/**
 * A task hub as it looks after years of service: finished operations (with their entry sub-orchestrations)
 * and delivered notifications written straight into a local host's store directory, so a host started over
 * it begins with them. Used by the status-latency benchmark and the task-hub growth tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, type InstanceRecord } from '../local/host/durable/store';
import { EVENT_TYPES } from '../src/core/notifications';
import { installHttpClock } from '../src/composition';
import { loadPlan } from '../src/plan/load';
import { BENCH_START, EXAMPLE_PLAN, startBenchEstate } from './estate';
import {
  ORCHESTRATIONS,
  deliveryInstanceId,
  operationInstanceId,
  type DeliveryStatus,
  type OperationInput,
  type OperationRecord,
  type OperationRequest,
} from '../src/durable/contracts';

export interface SeedCounts {
  operations: number;
  /** Entry sub-orchestrations per operation (`<operation>-g0-e<i>`). */
  entriesPerOperation: number;
  notifications: number;
}

export const YEARS_OF_SERVICE: SeedCounts = {
  operations: 500,
  entriesPerOperation: 2,
  notifications: 10_000,
};

const DAY = 86_400_000;

function record(
  instanceId: string,
  name: string,
  createdMs: number,
  input: unknown,
  output: unknown,
): InstanceRecord {
  const created = new Date(createdMs).toISOString();
  const finished = new Date(createdMs + 60_000).toISOString();
  return {
    instanceId,
    name,
    executionId: `seed-${instanceId}`,
    runtimeStatus: 'Completed',
    input: JSON.stringify(input),
    output: JSON.stringify(output),
    customStatus: null,
    createdTime: created,
    lastUpdatedTime: finished,
    parent: undefined,
    history: [],
    inbox: [],
    actionLog: [],
    failure: undefined,
    historyEventsAppended: 0,
    executions: 1,
  };
}

/** The operation ids seeded, oldest first: `failover-<n>-seed` and `failback-<n>-seed` alternating. */
export const seededOperationId = (n: number): string => `${n % 2 ? 'failback' : 'failover'}-${n + 1}-seed`;

/**
 * Writes the instances, spread evenly over [from, to): operation n at from + n/ops of the span, notification
 * k likewise. Everything is Completed; operations carry an audit record, deliveries a delivered status.
 */
export function seedTaskHub(
  storeDir: string,
  planId: string,
  counts: SeedCounts,
  span: { from: Date; to: Date },
): void {
  const store = new FileStore(storeDir);
  const from = span.from.getTime();
  const width = span.to.getTime() - from;
  for (let n = 0; n < counts.operations; n++) {
    const operationId = seededOperationId(n);
    const at = from + Math.floor((n * width) / counts.operations);
    const request: OperationRequest = {
      direction: n % 2 ? 'failback' : 'failover',
      kind: 'planned',
      trigger: 'manual',
      caller: { by: 'seed', reason: 'seeded history' },
      override: [],
    };
    const input: OperationInput = {
      planId,
      operationId,
      request,
      requestedAt: new Date(at).toISOString(),
    };
    const output: OperationRecord = {
      operationId,
      planId,
      request,
      status: 'succeeded',
      timeline: [{ at: new Date(at).toISOString(), event: 'started' }],
      entries: [],
      checks: [],
      readBack: [],
      pendingFences: [],
      notifications: [],
      rto: { from: new Date(at).toISOString(), to: new Date(at + 30_000).toISOString(), measuredMs: 30_000 },
    };
    const id = operationInstanceId(planId, operationId);
    store.save(record(id, ORCHESTRATIONS.operation, at, input, output));
    for (let e = 0; e < counts.entriesPerOperation; e++)
      store.save(record(`${id}-g0-e${e}`, ORCHESTRATIONS.entry, at + 1000, { entry: e }, { entry: e }));
  }
  for (let k = 0; k < counts.notifications; k++) {
    const at = from + Math.floor((k * width) / counts.notifications);
    const messageId = `seed:${k}`;
    const status: DeliveryStatus = {
      state: 'delivered',
      type: EVENT_TYPES.healthRecovered,
      messageId,
      correlationId: 'seed',
      queuedAt: new Date(at).toISOString(),
      attempts: 1,
      deliveredAt: new Date(at + 1000).toISOString(),
    };
    store.save(
      record(deliveryInstanceId(planId, messageId), ORCHESTRATIONS.deliver, at, { seeded: k }, status),
    );
  }
}

/** The span the seeds cover when a test or benchmark starts at `start`: two years back, ending a week before. */
export function yearsBefore(start: Date): { from: Date; to: Date } {
  return { from: new Date(start.getTime() - 730 * DAY), to: new Date(start.getTime() - 7 * DAY) };
}

export interface StatusLatencySample {
  /** `empty`: a fresh task hub; `years`: the same plus the seeded operations and notifications. */
  hub: 'empty' | 'years';
  instancesInHub: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Instances the status route read through the Durable API per request (by id or in query pages). */
  instancesReadPerRequest: number;
}

export interface StatusLatencyResult {
  seeded: SeedCounts;
  samples: StatusLatencySample[];
  /** p99 on the seeded hub over p99 on the empty one; the target is at most 1.2 (flat within 20 %). */
  p99Ratio: number;
}

export const STATUS_P99_MAX_RATIO = 1.2;
const BENCH_KEY = 'bench-status-key-0123456789';

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * `GET /api/status` latency (wall clock, sequential requests after a warm-up) on an empty task hub and on
 * one holding years of operations and notifications, with the instances each request reads.
 */
export async function measureStatusLatency(
  requests: number,
  seeded: SeedCounts = YEARS_OF_SERVICE,
): Promise<StatusLatencyResult> {
  const { plan } = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
  const samples: StatusLatencySample[] = [];
  for (const hub of ['empty', 'years'] as const) {
    const storeDir = mkdtempSync(join(tmpdir(), 'dr-bench-hub-'));
    if (hub === 'years') seedTaskHub(storeDir, plan.id, seeded, yearsBefore(BENCH_START));
    const estate = await startBenchEstate({ plan, storeDir, functionKeys: [BENCH_KEY] });
    installHttpClock(() => new Date(estate.host.clock.now()));
    try {
      await estate.advance(60_000);
      const url = `${estate.host.url}/api/status`;
      const get = async () => {
        const t0 = performance.now();
        const res = await fetch(url, { headers: { 'x-functions-key': BENCH_KEY } });
        await res.text();
        if (res.status !== 200) throw new Error(`GET /api/status answered ${res.status}`);
        return performance.now() - t0;
      };
      for (let i = 0; i < 20; i++) await get(); // warm-up: JIT, connection pool
      const readsBefore = estate.host.durable.clientReads().instances;
      const times: number[] = [];
      for (let i = 0; i < requests; i++) times.push(await get());
      const reads = estate.host.durable.clientReads().instances - readsBefore;
      times.sort((a, b) => a - b);
      samples.push({
        hub,
        instancesInHub: estate.host.durable.list().length,
        requests,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: times.at(-1)!,
        instancesReadPerRequest: reads / requests,
      });
    } finally {
      installHttpClock(undefined);
      await estate.stop();
      rmSync(storeDir, { recursive: true, force: true });
    }
  }
  return { seeded, samples, p99Ratio: samples[1]!.p99Ms / samples[0]!.p99Ms };
}

if (require.main === module) {
  const requests = Number(process.argv[2] ?? 300);
  measureStatusLatency(requests).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
