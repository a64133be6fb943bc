/**
 * Actuation: how long a failover of N active-passive workflows takes through the real orchestrations, next
 * to the floor ARM's token buckets put under it, and next to the same N enables done one at a time.
 *
 * Scenario: the primary region is down (ARM requests for its resources are refused), as in a real regional
 * failover. The plan then marks every primary fence pending and only the secondary is written: N enables.
 */
import { ArmThrottle } from '../src/adapters/arm/throttle';
import { createArmLogicAppsControl } from '../src/adapters/logicapps/arm';
import { simulatorConnection } from '../local/sim/arm';
import {
  MONITOR_SIGNAL,
  ORCHESTRATIONS,
  monitorInstanceId,
  type OperationRecord,
  type Signal,
} from '../src/durable/contracts';
import type { RequestLogEntry } from '../local/sim/arm';
import { EventType, type StoredEvent } from '../local/host/durable/history';
import { sampleEstateSeed } from '../local/sim/sample-estate';
import { BENCH_START, startBenchEstate } from './estate';
import { activePassivePlan, SECONDARY_RG, workflowName } from './plans';
import { RemoteArmSimulator } from './sim-process';
import { armRequestKinds, bucketOf, phasesOf, throttleBoundMs, type RequestPhase } from './throttle-bound';

export class BenchmarkError extends Error {
  override name = 'BenchmarkError';
}

export interface ArmRequestCounts {
  reads: number;
  /** Reads refused by the down region (connection reset): the client paced them all the same. */
  readsRefused: number;
  writes: number;
  writesRefused: number;
  /** Answers with status 429 (ARM throttling). Client-side pacing should keep this at 0. */
  throttled: number;
}

/** The TLS connections the operation's ARM requests came in on (the simulator numbers them). */
export interface ArmConnectionCounts {
  /** Distinct connections that carried the operation's requests. */
  used: number;
  /** Of those, opened during the operation: one TLS handshake each, on both ends. */
  opened: number;
}

export interface ActuationResult {
  workflows: number;
  scenario: 'primary-down';
  latencyMs: number;
  /**
   * Wall time from the failover request (the signal the monitor turns into the operation) to the operation's
   * completion: the operation's own time plus the monitor's few ms to start it. Taken from the request, not
   * from a poll that sees the operation appear, because the event loop is busiest right when it starts.
   */
  elapsedMs: number;
  /** Wall time from the request to the first ARM request the simulator received (system clock, both processes). */
  firstArmRequestMs: number;
  outcome: string;
  secondariesEnabled: number;
  pendingFences: number;
  /** The operation's ARM requests (the monitor's own probe requests meanwhile are in `probeArmRequests`). */
  arm: ArmRequestCounts;
  /** The connections those requests used; refused requests (a down region) count where they came in. */
  connections: ArmConnectionCounts;
  /** ARM requests of the health probe during the operation (the watchdog keeps ticking on the real clock). */
  probeArmRequests: number;
  /** Activity attempts that failed and were retried by the orchestration (durable timer back-off). */
  activityFailures: number;
  sdkRetries: number;
  phases: RequestPhase[];
  /**
   * Where the time went, in ms from the request: the operation's timeline (`operation`, orchestration time of
   * each step), per ARM phase when its first request arrived and its last was answered (`arm`, simulator's
   * log, with the connections the phase used), and each activity and sub-orchestration the host scheduled
   * and completed (`step`, durable histories).
   */
  stages: Stage[];
  /** What the host ran for the operation (the monitor's few episodes included). */
  work: { orchestratorEpisodes: number; activityExecutions: number; timersFired: number };
  /** The token-bucket floor for exactly these requests (see throttleBoundMs). */
  boundMs: number;
  /** elapsed / bound: 1.0 would be perfect use of ARM's budget. */
  ratio: number;
  hostProblems: string[];
}

export interface OneByOneResult {
  workflows: number;
  latencyMs: number;
  elapsedMs: number;
  perCallMs: number;
  arm: ArmRequestCounts;
  boundMs: number;
  secondariesEnabled: number;
}

export interface ActuationOptions {
  /** ARM latency added by the simulator to every request (default 100 ms). */
  latencyMs?: number;
  /** How often the operation's status is sampled (default 5 ms): the resolution of the elapsed time. */
  pollMs?: number;
  /** Give up after this much wall time without completion (default 4 min). */
  timeoutMs?: number;
  /** SDK retries per ARM call (default 0, as in the tests; the composition root's default is 2). */
  sdkRetries?: number;
  /** Called at each stage (for diagnosing a run that stalls). */
  trace?: (stage: string) => void;
}

export interface Stage {
  stage: string;
  atMs: number;
  kind: 'operation' | 'arm' | 'step';
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function countArmRequests(log: readonly RequestLogEntry[]): ArmRequestCounts {
  const arm = log.filter((e) => e.listener === 'arm');
  const reads = arm.filter((e) => bucketOf(e.method) === 'reads');
  const writes = arm.filter((e) => bucketOf(e.method) === 'writes');
  return {
    reads: reads.length,
    readsRefused: reads.filter((e) => e.outcome !== 'answered').length,
    writes: writes.length,
    writesRefused: writes.filter((e) => e.outcome !== 'answered').length,
    throttled: arm.filter((e) => e.status === 429).length,
  };
}

/** Connections of ARM requests: distinct ones, and those numbered above `openedAfter` (new during the run). */
export function countConnections(log: readonly RequestLogEntry[], openedAfter: number): ArmConnectionCounts {
  const used = new Set(log.flatMap((e) => (e.listener === 'arm' && e.connection ? [e.connection] : [])));
  return { used: used.size, opened: [...used].filter((c) => c > openedAfter).length };
}

/**
 * The operation's timeline and each ARM phase's first and last request, in ms from the request. A phase's
 * label says how many connections carried it and how many of those it opened (`openedAfter`: the highest
 * connection number seen before the operation started).
 */
export function stagesOf(
  record: Pick<OperationRecord, 'timeline'> | undefined,
  armLog: readonly RequestLogEntry[],
  requestedAtWall: number,
  openedAfter = Infinity,
): Stage[] {
  const stages: Stage[] = (record?.timeline ?? []).map((t) => ({
    stage: t.event.slice(0, 60),
    atMs: Date.parse(t.at) - requestedAtWall,
    kind: 'operation' as const,
  }));
  let phase = 0;
  let from = 0;
  const known = new Set<number>();
  for (let i = 0; i < armLog.length; i++) {
    const kind = bucketOf(armLog[i]!.method);
    if (i + 1 < armLog.length && bucketOf(armLog[i + 1]!.method) === kind) continue;
    const run = armLog.slice(from, i + 1);
    phase += 1;
    const first = Math.min(...run.map((e) => Date.parse(e.realTime)));
    const last = Math.max(...run.map((e) => Date.parse(e.realTime) + e.durationMs));
    const used = new Set(run.flatMap((e) => (e.connection ? [e.connection] : [])));
    const opened = [...used].filter((c) => c > openedAfter && !known.has(c)).length;
    for (const c of used) known.add(c);
    const over =
      used.size > 0
        ? ` over ${used.size} connection${used.size === 1 ? '' : 's'}${Number.isFinite(openedAfter) ? ` (${opened} opened)` : ''}`
        : '';
    stages.push(
      {
        stage: `ARM phase ${phase}: ${run.length} ${kind}${over}, first arrived`,
        atMs: first - requestedAtWall,
        kind: 'arm',
      },
      {
        stage: `ARM phase ${phase}: ${run.length} ${kind}, last answered`,
        atMs: last - requestedAtWall,
        kind: 'arm',
      },
    );
    from = i + 1;
  }
  return stages.sort((a, b) => a.atMs - b.atMs);
}

/**
 * When the host scheduled and completed each activity and sub-orchestration, from the durable histories of
 * the instances involved (events from `requestedAtWall` on). Repeats of one step (e.g. one activity per
 * entry) are folded into one pair: the first scheduled and the last completed, with their count.
 */
export function orchestrationStepsOf(
  instances: readonly { name: string; history: readonly StoredEvent[] }[],
  requestedAtWall: number,
): Stage[] {
  const steps = new Map<string, { atMs: number; count: number; last: boolean }>();
  const note = (label: string, at: number, last: boolean) => {
    const atMs = at - requestedAtWall;
    const step = steps.get(label);
    if (!step) steps.set(label, { atMs, count: 1, last });
    else {
      step.count += 1;
      step.atMs = last ? Math.max(step.atMs, atMs) : Math.min(step.atMs, atMs);
    }
  };
  for (const { name, history } of instances) {
    const scheduled = new Map<number, string>();
    for (const e of history) {
      const at = Date.parse(e.Timestamp);
      if (
        e.EventType === EventType.TaskScheduled ||
        e.EventType === EventType.SubOrchestrationInstanceCreated
      )
        scheduled.set(e.EventId, String(e.Name));
      if (at < requestedAtWall) continue;
      switch (e.EventType) {
        case EventType.TaskScheduled:
          note(`${name}: ${String(e.Name)} scheduled`, at, false);
          break;
        case EventType.SubOrchestrationInstanceCreated:
          note(`${name}: sub-orchestration ${String(e.Name)} created`, at, false);
          break;
        case EventType.TaskCompleted:
        case EventType.TaskFailed:
          note(`${name}: ${scheduled.get(e.TaskScheduledId as number) ?? '?'} completed`, at, true);
          break;
        case EventType.SubOrchestrationInstanceCompleted:
        case EventType.SubOrchestrationInstanceFailed:
          note(
            `${name}: sub-orchestration ${scheduled.get(e.TaskScheduledId as number) ?? '?'} completed`,
            at,
            true,
          );
          break;
        default:
      }
    }
  }
  return [...steps.entries()]
    .map(([label, { atMs, count }]) => ({
      stage: count > 1 ? `${label} (x${count}, ${label.endsWith('completed') ? 'last' : 'first'})` : label,
      atMs,
      kind: 'step' as const,
    }))
    .sort((a, b) => a.atMs - b.atMs);
}

/** Requests the health probe makes for the health-check workflow (resolving its callback URL). */
function isHealthCheckRequest(workflow: unknown): (e: RequestLogEntry) => boolean {
  const name = typeof workflow === 'string' ? workflow.split('/').pop()!.toLowerCase() : undefined;
  return (e) => name !== undefined && e.path.toLowerCase().includes(`/workflows/${name}/`);
}

/** A manual emergency failover through the monitor, timed from the operation's start to its completion. */
export async function measureActuation(n: number, options: ActuationOptions = {}): Promise<ActuationResult> {
  const latencyMs = options.latencyMs ?? 100;
  const pollMs = options.pollMs ?? 5;
  const plan = activePassivePlan(n);
  // Real clock: a retry's back-off (durable timer) costs its real time, as in Azure.
  const trace = options.trace ?? (() => undefined);
  const estate = await startBenchEstate({ plan, clock: 'real', sdkRetries: options.sdkRetries ?? 0 });
  try {
    const { host, sim } = estate;
    trace('estate started');
    await estate.kickWatchdog(); // Starts the monitor; one healthy probe.
    trace('watchdog ran');
    if (estate.monitor()?.state.mode !== 'monitoring')
      throw new BenchmarkError(`monitor of ${plan.id} is not monitoring (${estate.monitor()?.state.mode})`);

    await sim.outage(plan.primary.location, { kind: 'down', mode: 'refused' });
    await sim.setLatency(latencyMs);
    await sim.configureThrottle({}); // Full server-side buckets.
    await sleep(500); // The client-side buckets refill too (the warm-up spent at most a token or two).
    // Connections the warm-up opened (the probe's ARM reads) may carry the operation's first requests.
    const openedAfter = Math.max(0, ...(await sim.requestLog()).map((e) => e.connection ?? 0));
    await sim.clearRequestLog();
    trace('primary down, buckets full');

    const signal: Signal = {
      kind: 'request-operation',
      id: `bench-failover-${n}`,
      request: {
        direction: 'failover',
        kind: 'emergency',
        trigger: 'manual',
        caller: { by: 'bench', reason: `benchmark: ${plan.primary.location} down` },
        override: [],
      },
    };
    const createdFrom = host.clock.now() - 1_000;
    // Filled in by the poller (closures defeat narrowing of plain lets, hence an object).
    const seen: { instanceId?: string; finishedAt?: number } = {};
    const check = () => {
      if (!seen.instanceId) {
        const op = host.durable
          .list({ createdTimeFrom: createdFrom })
          .find((s) => s.name === ORCHESTRATIONS.operation);
        if (!op) return;
        seen.instanceId = op.instanceId;
      }
      const status = host.durable.getStatus(seen.instanceId)?.runtimeStatus;
      if (seen.finishedAt === undefined && status && TERMINAL.has(status))
        seen.finishedAt = performance.now();
    };
    const statsBefore = host.stats();
    const requestedAt = performance.now();
    const requestedAtWall = Date.now();
    const poller = setInterval(check, pollMs);
    try {
      if (host.durable.raiseEvent(monitorInstanceId(plan.id), MONITOR_SIGNAL, signal) !== 'accepted')
        throw new BenchmarkError(`monitor of ${plan.id} did not accept the failover request`);
      const deadline = requestedAt + (options.timeoutMs ?? 240_000);
      for (;;) {
        // Idle also while a retry timer is pending: then poll until it fires. Never wait unboundedly: an ARM
        // call that is never answered would otherwise hang the whole run instead of failing it.
        const idle = await Promise.race([
          host.runUntilIdle().then(() => true),
          sleep(1_000).then(() => false),
        ]);
        check();
        trace(
          `${idle ? 'idle' : 'busy'}: operation ${seen.instanceId ?? 'not started'}, finished ${seen.finishedAt !== undefined}`,
        );
        if (seen.finishedAt !== undefined) break;
        if (performance.now() >= deadline) {
          const status = seen.instanceId ? host.durable.getStatus(seen.instanceId) : undefined;
          throw new BenchmarkError(
            `failover of ${n} workflows did not finish within ${(deadline - requestedAt) / 1000} s: ` +
              (status
                ? `operation ${status.instanceId} is ${status.runtimeStatus} (${JSON.stringify(status.customStatus)?.slice(0, 300)})`
                : `the monitor never started it (monitor: ${JSON.stringify(estate.monitor()?.answers.at(-1))})`),
          );
        }
        if (idle) await sleep(pollMs);
      }
    } finally {
      clearInterval(poller);
    }
    const { instanceId, finishedAt } = seen as Required<typeof seen>;
    const record = host.durable.getStatus(instanceId)?.output as OperationRecord | undefined;
    const fullLog = await sim.requestLog();
    const probing = isHealthCheckRequest(plan.healthCheck.workflow);
    const log = fullLog.filter((e) => !probing(e));
    const states = await sim.workflows();
    const phases = phasesOf(armRequestKinds(log));
    const boundMs = throttleBoundMs(phases, latencyMs);
    const elapsedMs = finishedAt - requestedAt;
    const armLog = log.filter((e) => e.listener === 'arm').sort((a, b) => a.seq - b.seq);
    const firstArm = armLog[0];
    const statsAfter = host.stats();
    return {
      workflows: n,
      scenario: 'primary-down',
      latencyMs,
      elapsedMs,
      firstArmRequestMs: firstArm ? Date.parse(firstArm.realTime) - requestedAtWall : Number.NaN,
      outcome: record?.status ?? host.durable.getStatus(instanceId)?.runtimeStatus ?? 'unknown',
      secondariesEnabled: states.filter(
        (w) => w.region === plan.secondary.location && w.name.startsWith('ap-') && w.state === 'Enabled',
      ).length,
      pendingFences: record?.pendingFences.length ?? 0,
      arm: countArmRequests(log),
      connections: countConnections(armLog, openedAfter),
      probeArmRequests: fullLog.filter((e) => e.listener === 'arm' && probing(e)).length,
      activityFailures: host.stats().activityFailures,
      sdkRetries: options.sdkRetries ?? 0,
      phases,
      stages: [
        ...stagesOf(record, armLog, requestedAtWall, openedAfter),
        ...orchestrationStepsOf(
          [
            ...new Set([
              monitorInstanceId(plan.id),
              ...host.durable.list({ createdTimeFrom: createdFrom }).map((st) => st.instanceId),
            ]),
          ].map((id) => ({
            name: host.durable.getStatus(id)?.name ?? id,
            history: host.durable.history(id) ?? [],
          })),
          requestedAtWall,
        ),
      ].sort((a, b) => a.atMs - b.atMs),
      work: {
        orchestratorEpisodes: statsAfter.orchestratorEpisodes - statsBefore.orchestratorEpisodes,
        activityExecutions: statsAfter.activityExecutions - statsBefore.activityExecutions,
        timersFired: statsAfter.timersFired - statsBefore.timersFired,
      },
      boundMs,
      ratio: elapsedMs / boundMs,
      hostProblems: estate.problems.map((p) => `[${p.level}] ${p.message.slice(0, 300)}`),
    };
  } catch (error) {
    // A stalled ARM call would keep the host from stopping: take the simulator away first (its sockets close).
    await estate.sim.stop();
    throw error;
  } finally {
    await estate.stop();
  }
}

/** The same N enables one at a time through the same adapter (its idempotent read, then the enable). */
export async function measureOneByOne(n: number, options: ActuationOptions = {}): Promise<OneByOneResult> {
  const latencyMs = options.latencyMs ?? 100;
  const plan = activePassivePlan(n);
  const sim = await RemoteArmSimulator.start({
    now: BENCH_START.toISOString(),
    seed: sampleEstateSeed(plan),
    latencyMs,
  });
  try {
    const control = createArmLogicAppsControl({
      ...simulatorConnection(sim, new ArmThrottle()),
      maxRetries: 0,
    });
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await control.setState(
        { subscriptionId: plan.secondary.subscriptionId, resourceGroup: SECONDARY_RG, name: workflowName(i) },
        'Enabled',
      );
    }
    const elapsedMs = performance.now() - started;
    const log = await sim.requestLog();
    const states = await sim.workflows();
    return {
      workflows: n,
      latencyMs,
      elapsedMs,
      perCallMs: elapsedMs / n,
      arm: countArmRequests(log),
      boundMs: throttleBoundMs(phasesOf(armRequestKinds(log)), latencyMs),
      secondariesEnabled: states.filter(
        (w) => w.region === plan.secondary.location && w.name.startsWith('ap-') && w.state === 'Enabled',
      ).length,
    };
  } finally {
    await sim.stop();
  }
}
