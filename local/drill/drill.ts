/**
 * The game day: take the primary region down, wait for the automatic failover (as `/api/status` shows it),
 * check the invariants, restore the primary, fail back through `POST /api/failback`, check again, and
 * report measured detection and actuation times. Talks to the control plane and the simulator over HTTP
 * only, so it runs the same against an embedded estate or a running `npm start`.
 */
import { durationMs } from '../../src/core/duration';
import type { Plan } from '../../src/plan/schema';
import { DrillHttpError, type ApiClient, type ApiStatus, type SimClient } from './client';
import {
  checkNoSplitBrain,
  checkRouterTraffic,
  checkSplitSlots,
  type DownWindow,
  type InvariantResult,
  type RouterCall,
} from './invariants';

export interface DrillOptions {
  api: ApiClient;
  sim: SimClient;
  plan: Plan;
  /** The fault injected into the primary region; default `{ kind: 'down' }`. */
  fault?: Record<string, unknown>;
  /** Stop after the failover checks when one failed (restore the region, skip the failback). */
  stopOnFailure?: boolean;
  /** Skip the never-none and break-glass round after the failback (default: run it). */
  skipBreakGlass?: boolean;
  /** Progress lines for the console. */
  log?: (message: string) => void;
  now?: () => number;
  pollMs?: number;
  /** How often a call is sent through each entry's router, all drill long (default 500 ms). */
  trafficMs?: number;
  /** Upper bounds; defaults derive from the plan's policy and split cadences. */
  timeouts?: Partial<{ readyMs: number; failoverMs: number; failbackMs: number }>;
}

export interface OperationSummary {
  operationId: string;
  outcome: string;
  requestedAt: string;
  finishedAt?: string;
}

export interface DrillReport {
  ok: boolean;
  planId: string;
  primary: string;
  secondary: string;
  fault: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  policy: { probeInterval: string; failureThreshold?: number; window?: { failures: number; of: number } };
  /** Outage injected -> failover decision (the operation's start in orchestration time). */
  detectionMs?: number;
  /** Failover decision -> last action verified (the operation's last read-back). */
  actuationMs?: number;
  /** Failback request -> failback finished (includes waiting for a split slot boundary). */
  failbackMs?: number;
  failover?: OperationSummary & { measuredRtoMs?: number; predictedRtoMs?: number };
  failback?: OperationSummary & { forced: boolean; forceReason?: string };
  /** The break-glass round: the automatic failover superseded, and how soon the secondary ran. */
  breakGlass?: {
    supersededId: string;
    replacementId: string;
    /** Outage injected -> the replacement's last action verified (the secondary running). */
    secondaryRunningMs: number;
    /** The entry whose secondary copy was deleted: held whole, never fenced. */
    heldEntry: string;
  };
  invariants: InvariantResult[];
  /** The calls sent through the routers, by fate (`ran:northeurope`: 12). */
  routerTraffic?: Record<string, number>;
  notifications: { type: string; messageId?: string; time?: string }[];
  timeline: { at: string; event: string }[];
  /** Set when the drill could not run to the end (a timeout, an API refusal). */
  error?: string;
}

export class DrillAbort extends Error {
  override readonly name = 'DrillAbort';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type OperationRecordView = {
  status?: string;
  stopped?: { outcome: string; supersededBy?: string; caller?: { by?: string } };
  entries?: { entry: string; blocked?: string; steps: { action: { op: string }; status: string }[] }[];
  readBack?: {
    group: number;
    mismatches: string[];
    violations: { message: string }[];
    unreadable: string[];
  }[];
  rto?: { to?: string; measuredMs?: number; predictedMs?: number };
  timeline?: { at: string; event: string }[];
};

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const { api, sim, plan } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const pollMs = options.pollMs ?? 250;
  const fault = options.fault ?? { kind: 'down' };
  const intervalMs = durationMs(plan.policy.probeInterval);
  const failures = plan.policy.failureThreshold ?? plan.policy.window?.failures ?? 3;
  const longestSplitMs = Math.max(
    0,
    ...plan.workflows.filter((e) => e.schedule).map((e) => durationMs(e.schedule!.every)),
  );
  const timeouts = {
    readyMs: 60_000,
    failoverMs: (failures + 3) * intervalMs + 60_000,
    failbackMs: longestSplitMs + 90_000,
    ...options.timeouts,
  };
  // Pending fences are applied on the first healthy probe after a region returns: one interval, plus slack.
  const graceMs = intervalMs + 1_500;
  const primary = plan.primary.location;
  const startedAt = now();
  const timeline: DrillReport['timeline'] = [];
  const mark = (event: string): void => {
    timeline.push({ at: new Date(now()).toISOString(), event });
    log(event);
  };
  const down: DownWindow[] = [];
  const invariants: InvariantResult[] = [];
  const report: DrillReport = {
    ok: false,
    planId: plan.id,
    primary,
    secondary: plan.secondary.location,
    fault,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: '',
    policy: {
      probeInterval: plan.policy.probeInterval,
      ...(plan.policy.failureThreshold !== undefined
        ? { failureThreshold: plan.policy.failureThreshold }
        : {}),
      ...(plan.policy.window ? { window: plan.policy.window } : {}),
    },
    invariants,
    notifications: [],
    timeline,
  };

  const waitFor = async <T>(
    what: string,
    limitMs: number,
    probe: () => Promise<T | undefined>,
  ): Promise<T> => {
    const deadline = now() + limitMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (err) {
        if (err instanceof DrillAbort) throw err;
        lastError = err;
      }
      if (now() > deadline) {
        throw new DrillAbort(
          `timed out after ${Math.round(limitMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${describeError(lastError)})` : ''}`,
        );
      }
      await sleep(pollMs);
    }
  };
  const record = async (operationId: string): Promise<OperationRecordView> => {
    const found: OperationRecordView | undefined = (await api.operation(operationId)).record;
    return found ?? {};
  };

  // Callers through every entry's router, from the first healthy status to the end of the failback.
  const routed = plan.workflows.filter((w) => w.router).map((w) => w.name);
  const calls: RouterCall[] = [];
  const marks: Parameters<typeof checkRouterTraffic>[1] = {};
  let trafficOn = false;
  let traffic: Promise<void> = Promise.resolve();
  const startTraffic = () => {
    if (!routed.length) return;
    trafficOn = true;
    traffic = (async () => {
      while (trafficOn) {
        for (const entry of routed) {
          const at = now();
          try {
            const r = await sim.sendThroughRouter(entry);
            calls.push({
              at,
              entry,
              outcome: r.outcome,
              fate: r.fate,
              ...(r.region ? { region: r.region } : {}),
              ...(r.status !== undefined ? { status: r.status } : {}),
              ...(r.code ? { code: r.code } : {}),
            });
          } catch (err) {
            // The simulator's route itself failed: no fate to judge, but it is not silently dropped.
            calls.push({ at, entry, outcome: 'nowhere', fate: `not sent: ${describeError(err)}` });
          }
        }
        await sleep(options.trafficMs ?? 500);
      }
    })();
  };
  const stopTraffic = async () => {
    trafficOn = false;
    await traffic;
  };
  // Step 5's failback, defined there and run again after step 7.
  let failBack: () => Promise<{ done: ApiStatus; id: string }> = () =>
    Promise.reject(new DrillAbort('no failback yet'));
  /** Step 7 (see there); its window is passed to the split-brain check as accepted by the operator. */
  const breakGlassRound = async (): Promise<void> => {
    const held = plan.workflows.find(
      (e) => e.role === 'active-passive' && typeof e.secondary === 'string' && e.name !== 'order-webhook',
    );
    if (!held || typeof held.secondary !== 'string')
      throw new DrillAbort('the plan has no active-passive entry');
    const heldPath = `/subscriptions/${plan.secondary.subscriptionId}/resourceGroups/${plan.secondary.resourceGroup}/providers/Microsoft.Logic/workflows/${held.secondary}?api-version=2019-05-01`;
    const kept = (await sim.arm('GET', heldPath)).body as {
      location?: string;
      properties?: { definition?: unknown; parameters?: unknown };
    };
    await sim.arm('DELETE', heldPath);
    mark(`deleted the secondary copy of ${held.name} (never none: it must be held, not fenced)`);
    const outageAt = now();
    await sim.outage(primary, { kind: 'errors', rate: 1 });
    await sim.outage(primary, { kind: 'unhealthy' });
    const window: DownWindow = { region: primary, from: outageAt };
    down.push(window);
    mark(`${primary}: its ARM answers every request with an error, its health check fails`);
    try {
      const automatic = await waitFor('the automatic failover to start', timeouts.failoverMs, async () => {
        const s = await api.status();
        const op = s.currentOperation;
        return op?.direction === 'failover' && Date.parse(op.startedAt) >= outageAt ? op : undefined;
      });
      mark(`automatic failover ${automatic.operationId} runs; its fences fail: break-glass`);
      const asked = await api.failover({
        reason: 'game day drill: break-glass while the fences hang',
        kind: 'emergency',
        override: ['no-dual-active'],
      });
      if (asked.status !== 202)
        throw new DrillAbort(
          `the break-glass failover answered ${asked.status}: ${JSON.stringify(asked.body)}`,
        );
      const replacementId = String(asked.body.operationId);
      mark(`break-glass failover ${replacementId} accepted: it supersedes ${automatic.operationId}`);
      await waitFor('the break-glass failover to finish', timeouts.failoverMs, async () => {
        const s = await api.status();
        return s.lastOperation?.operationId === replacementId && s.lastOperation.finishedAt ? s : undefined;
      });
      const superseded = await record(automatic.operationId);
      const replacement = await record(replacementId);
      const runningAt = replacement.rto?.to ? Date.parse(replacement.rto.to) : now();
      report.breakGlass = {
        supersededId: automatic.operationId,
        replacementId,
        secondaryRunningMs: runningAt - outageAt,
        heldEntry: held.name,
      };
      mark(`secondary running ${((runningAt - outageAt) / 1000).toFixed(1)} s after the outage`);
      invariants.push(
        checkSuperseded(automatic.operationId, superseded, replacementId, replacement, runningAt - outageAt),
      );
      invariants.push(checkHeld(held.name, [superseded, replacement]));
    } finally {
      await sim.restore(primary);
      window.to = now();
      mark(`${primary} restored`);
      await sim.arm('PUT', heldPath, {
        location: kept.location,
        properties: { definition: kept.properties?.definition, state: 'Disabled' },
      });
      mark(`the secondary copy of ${held.name} put back (Disabled)`);
    }
    await waitFor('the pending fences to be applied', timeouts.readyMs, async () => {
      const s = await api.status();
      return s.pendingFences.length === 0 ? s : undefined;
    });
    mark('pending fences applied: nothing runs in both regions');
    const back = await failBack();
    invariants.push(backToNormal(back.done));
    const splitBrain = checkNoSplitBrain(plan, await sim.stateChanges(), {
      from: startedAt,
      to: now(),
      down,
      graceMs,
    });
    invariants[invariants.findIndex((i) => i.name === splitBrain.name)] = splitBrain;
  };

  let restored = false;
  try {
    // 1. A healthy, idle control plane on the primary.
    await waitFor('the control plane to monitor a healthy primary', timeouts.readyMs, async () => {
      const s = await api.status();
      return s.mode === 'monitoring' &&
        s.activeRegion === 'primary' &&
        !s.currentOperation &&
        s.recentProbes.at(-1)?.healthy
        ? s
        : undefined;
    });
    mark(`control plane monitoring ${primary}: healthy`);
    startTraffic();
    if (routed.length) mark(`sending calls through the router of ${routed.join(', ')}`);

    // 2. The outage.
    const outageAt = now();
    await sim.outage(primary, fault);
    down.push({ region: primary, from: outageAt });
    mark(`outage injected in ${primary}: ${JSON.stringify(fault)}`);

    // 3. The automatic failover: decided, then finished.
    const decided = await waitFor('the automatic failover to start', timeouts.failoverMs, async () => {
      const s = await api.status();
      const op = [s.currentOperation, s.lastOperation].find(
        (o) => o?.direction === 'failover' && Date.parse(o.startedAt) >= outageAt - intervalMs,
      );
      return op ?? undefined;
    });
    const decisionAt = Date.parse(decided.startedAt);
    report.detectionMs = decisionAt - outageAt;
    mark(
      `failover ${decided.operationId} decided ${(report.detectionMs / 1000).toFixed(1)} s after the outage`,
    );
    const failoverDone = await waitFor('the failover to finish', timeouts.failoverMs, async () => {
      const s: ApiStatus = await api.status();
      return s.lastOperation?.operationId === decided.operationId && s.lastOperation.finishedAt
        ? s
        : undefined;
    });
    marks.failoverDoneAt = now();
    const fo = await record(decided.operationId);
    const verifiedAt = fo.rto?.to
      ? Date.parse(fo.rto.to)
      : Date.parse(failoverDone.lastOperation!.finishedAt!);
    report.actuationMs = verifiedAt - decisionAt;
    report.failover = {
      operationId: decided.operationId,
      outcome: fo.status ?? failoverDone.lastOperation!.outcome ?? 'unknown',
      requestedAt: decided.startedAt,
      ...(failoverDone.lastOperation!.finishedAt
        ? { finishedAt: failoverDone.lastOperation!.finishedAt }
        : {}),
      ...(fo.rto?.measuredMs !== undefined ? { measuredRtoMs: fo.rto.measuredMs } : {}),
      ...(fo.rto?.predictedMs !== undefined ? { predictedRtoMs: fo.rto.predictedMs } : {}),
    };
    mark(
      `failover ${report.failover.outcome}; last action verified ${(report.actuationMs / 1000).toFixed(1)} s after the decision`,
    );
    invariants.push(checkReadBack('failover', decided.operationId, fo));
    invariants.push(await checkNotified(sim, 'failover', decided.operationId));
    invariants.push(
      checkNoSplitBrain(plan, await sim.stateChanges(), { from: startedAt, to: now(), down, graceMs }),
    );
    if (options.stopOnFailure && invariants.some((i) => !i.ok)) {
      throw new DrillAbort(
        'an invariant failed after the failover; stopping (--stop-on-failure), no failback',
      );
    }

    // Callers after the switch: at least one call through each router before the region returns.
    if (routed.length)
      await waitFor('a call through each router after the failover', timeouts.readyMs, async () =>
        routed.every((entry) => calls.some((c) => c.entry === entry && c.at > marks.failoverDoneAt!))
          ? true
          : undefined,
      );

    // 4. The primary returns; its pending fences are applied on the next healthy probe.
    const restoreAt = now();
    await sim.restore(primary);
    down[0]!.to = restoreAt;
    marks.restoredAt = restoreAt;
    restored = true;
    mark(`${primary} restored`);
    await waitFor(`a healthy probe of ${primary} and no pending fences`, timeouts.readyMs, async () => {
      const s = await api.status();
      const healthy = s.recentProbes.some((p) => p.healthy && Date.parse(p.at) >= restoreAt);
      return healthy && s.pendingFences.length === 0 ? s : undefined;
    });
    mark(`${primary} answers again; pending fences applied`);

    // 5. The failback, forced only when the soak time is not reached yet.
    failBack = async (): Promise<{ done: ApiStatus; id: string }> => {
      const reason = 'game day drill: primary restored';
      const failbackAt = now();
      let answer = await api.failback({ reason });
      let forced = false;
      let forceReason: string | undefined;
      if (answer.status === 409) {
        forceReason = typeof answer.body.error === 'string' ? answer.body.error : JSON.stringify(answer.body);
        mark(`failback refused (${forceReason}); forcing`);
        answer = await api.failback({ reason, force: true });
        forced = true;
      }
      if (answer.status !== 202 && answer.status !== 200)
        throw new DrillAbort(`POST /api/failback answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const failbackId = String(answer.body.operationId);
      mark(`failback ${failbackId} accepted${forced ? ' (forced)' : ''}`);
      const failbackDone = await waitFor('the failback to finish', timeouts.failbackMs, async () => {
        const s = await api.status();
        return s.lastOperation?.operationId === failbackId && s.lastOperation.finishedAt ? s : undefined;
      });
      marks.failbackDoneAt ??= now();
      const fb = await record(failbackId);
      const failbackMs = Date.parse(failbackDone.lastOperation!.finishedAt!) - failbackAt;
      report.failbackMs ??= failbackMs;
      report.failback ??= {
        operationId: failbackId,
        outcome: fb.status ?? failbackDone.lastOperation!.outcome ?? 'unknown',
        requestedAt: new Date(failbackAt).toISOString(),
        finishedAt: failbackDone.lastOperation!.finishedAt!,
        forced,
        ...(forceReason ? { forceReason } : {}),
      };
      mark(`failback ${fb.status ?? 'finished'} after ${(failbackMs / 1000).toFixed(1)} s`);
      invariants.push(checkReadBack('failback', failbackId, fb));
      return { done: failbackDone, id: failbackId };
    };
    const firstFailback = await failBack();
    invariants.push(await checkNotified(sim, 'failback', firstFailback.id));
    invariants.push(backToNormal(firstFailback.done));

    // 6. The whole drill, from the estate's own records (and a few more calls after the failback).
    if (routed.length) {
      await sleep(3 * (options.trafficMs ?? 500));
      await stopTraffic();
      invariants.push(checkRouterTraffic(calls, marks, { primary, secondary: plan.secondary.location }));
    }
    const runs = await sim.runs();
    const endAt = now();
    const splitBrain = checkNoSplitBrain(plan, await sim.stateChanges(), {
      from: startedAt,
      to: endAt,
      down,
      graceMs,
    });
    const at = invariants.findIndex((i) => i.name === splitBrain.name);
    if (at >= 0) invariants[at] = splitBrain;
    else invariants.push(splitBrain);
    invariants.push(
      checkSplitSlots(plan, runs.runs, {
        detectedAt: decisionAt,
        coveredFrom: verifiedAt,
        until: Date.parse(runs.now) - 1_000,
        down,
        graceMs,
      }),
    );

    // 7. Never none and break-glass, in one outage whose ARM answers every request with an error (so the
    // automatic failover's fences hang in their retries): the secondary copy of one entry is deleted first, so
    // that entry must be held whole, never fenced; an operator's break-glass failover supersedes the automatic
    // one, which stops at once; when the ARM answers again, the fences left pending are applied.
    if (!options.skipBreakGlass) await breakGlassRound();
  } catch (err) {
    report.error =
      err instanceof DrillAbort || err instanceof DrillHttpError
        ? err.message
        : `drill failed: ${String(err)}`;
    mark(report.error);
    if (down.length && !restored) {
      try {
        await sim.restore(primary);
        down[0]!.to = now();
        mark(`${primary} restored after the drill stopped`);
      } catch {
        mark(`could not restore ${primary}: restore it by hand (POST /sim/regions/${primary}/restore)`);
      }
    }
  }
  await stopTraffic();
  if (calls.length)
    report.routerTraffic = calls.reduce<Record<string, number>>(
      (by, c) => ({ ...by, [c.fate]: (by[c.fate] ?? 0) + 1 }),
      {},
    );
  try {
    report.notifications = (await sim.notifications()).map((n) => ({
      type: n.type,
      ...(n.messageId ? { messageId: n.messageId } : {}),
      ...(n.time ? { time: n.time } : {}),
    }));
  } catch {
    // The report still stands without the list.
  }
  report.finishedAt = new Date(now()).toISOString();
  report.ok = report.error === undefined && invariants.length > 0 && invariants.every((i) => i.ok);
  return report;
}

function checkReadBack(direction: string, operationId: string, record: OperationRecordView): InvariantResult {
  const problems: string[] = [];
  if (record.status !== 'succeeded')
    problems.push(`the ${direction} ended ${record.status ?? 'without a status'}`);
  // readBack[0] is the state before the first action; the others follow each group.
  for (const r of (record.readBack ?? []).slice(1)) {
    for (const m of r.mismatches) problems.push(`group ${r.group}: ${m}`);
    for (const v of r.violations) problems.push(`group ${r.group}: ${v.message}`);
  }
  const unreadable = [...new Set((record.readBack ?? []).slice(1).flatMap((r) => r.unreadable))];
  return {
    name: `${direction}-read-back-clean`,
    ok: problems.length === 0,
    detail: `${operationId}: outcome succeeded, no mismatch or safety violation after any group${unreadable.length ? ` (unreadable while down: ${unreadable.join(', ')})` : ''}`,
    problems,
  };
}

async function checkNotified(
  sim: SimClient,
  direction: string,
  operationId: string,
): Promise<InvariantResult> {
  const received = await sim.notifications();
  const wanted = ['started', 'completed'].map((step) => ({
    type: `com.logicappsfailover.${direction}.${step}`,
    messageId: `${operationId}:${step}`,
  }));
  const problems = wanted
    .filter((w) => !received.some((n) => n.type === w.type && n.messageId === w.messageId))
    .map((w) => `the broker did not receive ${w.type} (${w.messageId})`);
  return {
    name: `${direction}-notified`,
    ok: problems.length === 0,
    detail: `${wanted.map((w) => w.type).join(' and ')} for ${operationId} received by the broker`,
    problems,
  };
}

/** The automatic failover stopped at once with outcome superseded, and the replacement ran within 2 minutes. */
function checkSuperseded(
  supersededId: string,
  superseded: OperationRecordView,
  replacementId: string,
  replacement: OperationRecordView,
  secondaryRunningMs: number,
): InvariantResult {
  const problems: string[] = [];
  if (superseded.status !== 'superseded')
    problems.push(`${supersededId} ended ${superseded.status ?? 'without a status'}, not superseded`);
  if (superseded.stopped?.supersededBy !== replacementId)
    problems.push(`${supersededId} does not name ${replacementId} as what superseded it`);
  if (!replacement.status || !['succeeded', 'completed-with-errors'].includes(replacement.status))
    problems.push(
      `the break-glass failover ${replacementId} ended ${replacement.status ?? 'without a status'}`,
    );
  if (secondaryRunningMs > 120_000)
    problems.push(
      `the secondary ran ${Math.round(secondaryRunningMs / 1000)} s after the outage (over 2 min)`,
    );
  return {
    name: 'break-glass-supersedes',
    ok: problems.length === 0,
    detail: `${replacementId} superseded ${supersededId} (stopped at its next step boundary); the secondary ran within 2 min of the outage`,
    problems,
  };
}

/** Never none: the entry whose secondary copy was missing was held whole by both operations, nothing fenced. */
function checkHeld(entry: string, records: OperationRecordView[]): InvariantResult {
  const problems: string[] = [];
  for (const r of records) {
    const e = r.entries?.find((x) => x.entry === entry);
    if (!e) continue; // the superseded one may have stopped before its group
    if (!e.blocked) problems.push(`${entry} was not held`);
    const ran = e.steps.filter((st) => st.status === 'done' || st.status === 'failed');
    if (ran.length) problems.push(`${entry}: ${ran.map((st) => `${st.action.op} ${st.status}`).join(', ')}`);
  }
  return {
    name: 'never-none',
    ok: problems.length === 0,
    detail: `${entry}, whose secondary copy was missing, was held whole: no fence, no activation`,
    problems,
  };
}

function backToNormal(s: ApiStatus): InvariantResult {
  const problems: string[] = [];
  if (s.activeRegion !== 'primary') problems.push(`active region is ${s.activeRegion}`);
  if (s.mode !== 'monitoring') problems.push(`mode is ${s.mode}`);
  if (s.pendingFences.length) problems.push(`fences still pending: ${s.pendingFences.join(', ')}`);
  return {
    name: 'back-to-normal',
    ok: problems.length === 0,
    detail: 'after the failback: monitoring, primary active, no pending fences',
    problems,
  };
}

const describeError = (err: unknown): string =>
  err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);

/** Exit code for a report: 0 when every invariant held, 1 otherwise. */
export const exitCodeOf = (report: DrillReport): number => (report.ok ? 0 : 1);
