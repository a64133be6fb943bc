/**
 * The monitor's decision core: (state, event, policy, now) → (state, commands). Pure and serialisable, so the
 * durable monitor orchestration can keep the state across continueAsNew and a restart can resume counting.
 */
import { durationMs } from './duration';
import type { Plan } from '../plan/schema';

export type MonitorMode = 'monitoring' | 'degraded' | 'failing-over' | 'failed-over' | 'failing-back';
/** What the status API shows: the mode, or `paused` while an operator pause is in force. */
export type ReportedMode = MonitorMode | 'paused';

/** How an operation ended. */
export type OperationOutcome =
  | 'succeeded'
  | 'completed-with-errors'
  | 'failed'
  /** An operator stopped it (`dr cancel`): what it had done stays, recorded; the rest did not run. */
  | 'cancelled'
  /** An operator's break-glass failover replaced it: stopped like a cancel, then the replacement started. */
  | 'superseded';

/** The outcomes of an operation an operator stopped before it ended by itself. */
export type StoppedOutcome = Extract<OperationOutcome, 'cancelled' | 'superseded'>;

export type FailureClass = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'status' | 'body' | 'error';

export interface ProbeResult {
  /** ISO time the probe started. */
  at: string;
  healthy: boolean;
  status?: number;
  latencyMs: number;
  failure?: FailureClass;
  detail?: string;
}

/** The part of the plan's policy the core needs (durations as ISO 8601 strings). */
export interface MonitorPolicy {
  failureThreshold?: number;
  window?: { failures: number; of: number };
  recoveryThreshold: number;
  automaticFailover: boolean;
  failback: 'manual' | { automaticAfter: string } | { soak: string; approval: 'required' };
  cooldown: string;
  maxPause: string;
}

/** How long the primary must have been healthy before a failback (0 for manual: the recovery threshold only). */
export function failbackSoakMs(policy: Pick<MonitorPolicy, 'failback'>): number {
  const f = policy.failback;
  return f === 'manual' ? 0 : durationMs('automaticAfter' in f ? f.automaticAfter : f.soak);
}

/** Whether the monitor fails back by itself after the soak (only `automaticAfter`). */
const automaticFailback = (policy: Pick<MonitorPolicy, 'failback'>): boolean =>
  typeof policy.failback === 'object' && 'automaticAfter' in policy.failback;

/** The monitor's policy, from the plan (what the watchdog hands the monitor with each tick). */
export const policyOf = (plan: Plan): MonitorPolicy => ({
  ...(plan.policy.failureThreshold !== undefined ? { failureThreshold: plan.policy.failureThreshold } : {}),
  ...(plan.policy.window ? { window: plan.policy.window } : {}),
  recoveryThreshold: plan.policy.recoveryThreshold,
  automaticFailover: plan.policy.automaticFailover,
  failback: plan.policy.failback,
  cooldown: plan.policy.cooldown,
  maxPause: plan.policy.maxPause,
});

export interface PauseInfo {
  until: string;
  reason: string;
  by: string;
}

export interface MonitorState {
  mode: MonitorMode;
  activeRegion: 'primary' | 'secondary';
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Window mode: outcome of the last `window.of` probes, oldest first (true = failed). */
  recentOutcomes: boolean[];
  /** The last 20 probes, newest last, as evidence for notifications and the status API. */
  recentProbes: ProbeResult[];
  /** First failed probe of the current failure streak (start of the outage as we saw it). */
  firstFailureAt?: string;
  /** While failed over: first healthy probe of the current healthy streak. */
  primaryHealthySince?: string;
  /** Set once per streak so alerts and commands are not repeated every probe. */
  alerted: boolean;
  recoveryAnnounced: boolean;
  thresholdAnnounced: boolean;
  pause?: PauseInfo;
  lastFailoverAt?: string;
  lastFailbackAt?: string;
  /** Probes seen in total; lets the monitor drop duplicate ticks and prove progress. */
  probes: number;
}

export type MonitorEvent =
  | { type: 'probe'; result: ProbeResult }
  | { type: 'pause'; until: string; reason: string; by: string }
  | { type: 'resume'; by: string }
  | { type: 'failover-finished'; operationId: string; outcome: OperationOutcome }
  | { type: 'failback-finished'; operationId: string; outcome: OperationOutcome }
  /** An operator asks for a failover or failback; the monitor's own records say what runs and what last ran. */
  | {
      type: 'operation-requested';
      direction: 'failover' | 'failback';
      /** planned: split entries switch just after a slot boundary; emergency: at once. */
      kind?: 'planned' | 'emergency';
      /** Failback without the soak. */
      force: boolean;
      /** Break-glass overrides were given (a failover may then re-run after a success). */
      overrides: boolean;
      active?: { operationId: string; direction: 'failover' | 'failback' };
      lastOutcome?: OperationOutcome;
    };

export interface FailureEvidence {
  firstFailureAt: string;
  consecutiveFailures: number;
  windowFailures?: number;
  recentProbes: ProbeResult[];
}

export type MonitorCommand =
  | { type: 'alert-degraded'; evidence: FailureEvidence }
  /**
   * An operation starts: the decision that says so has already moved the state to failing-over (or
   * failing-back), so the orchestrator only starts it and records its id; nothing reports back "started".
   */
  | {
      type: 'start-operation';
      direction: 'failover' | 'failback';
      trigger: 'automatic' | 'manual';
      /** Automatic failover: the probes that reached the threshold. */
      evidence?: FailureEvidence;
      /** Automatic failback: when the primary's healthy streak began. */
      healthySince?: string;
    }
  /** The threshold was reached but no failover starts: automatic failover is off, or the cooldown holds. */
  | {
      type: 'failover-withheld';
      reason: 'automatic-failover-off' | 'cooldown' | 'paused';
      until?: string;
      evidence: FailureEvidence;
    }
  | { type: 'health-recovered'; since: string }
  /** While failed over, the primary answered `recoveryThreshold` probes in a row: fence, and gate failback. */
  | { type: 'primary-recovered'; since: string }
  | { type: 'pause-expired'; pause: PauseInfo }
  | { type: 'rejected'; reason: string }
  /**
   * A break-glass failover (one with overrides) while an operation runs: that one is stopped at its next step
   * boundary and this one starts when it has ended (the state moves then, not now).
   */
  | { type: 'supersede'; operationId: string; reason: string }
  /** Another operation runs: the request is answered with it, not refused outright. */
  | { type: 'conflict'; operationId: string; reason: string };

export interface Decision {
  state: MonitorState;
  commands: MonitorCommand[];
  /** What this cycle concluded and why, in words an operator reads at 3 a.m. (as Patroni's run cycle says). */
  reason: string;
}

const RECENT_PROBES = 20;

export function initialMonitorState(): MonitorState {
  return {
    mode: 'monitoring',
    activeRegion: 'primary',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    recentOutcomes: [],
    recentProbes: [],
    alerted: false,
    recoveryAnnounced: false,
    thresholdAnnounced: false,
    probes: 0,
  };
}

export function reportedMode(state: MonitorState, now: Date): ReportedMode {
  return state.pause && Date.parse(state.pause.until) > now.getTime() ? 'paused' : state.mode;
}

const at = (iso: string | undefined): number =>
  iso === undefined ? Number.NEGATIVE_INFINITY : Date.parse(iso);

/** Failures the policy counts toward a failover right now. */
export function countedFailures(state: MonitorState, policy: MonitorPolicy): number {
  return policy.window ? state.recentOutcomes.filter(Boolean).length : state.consecutiveFailures;
}

export function thresholdReached(state: MonitorState, policy: MonitorPolicy): boolean {
  const needed = policy.window
    ? policy.window.failures
    : (policy.failureThreshold ?? Number.POSITIVE_INFINITY);
  return countedFailures(state, policy) >= needed;
}

/**
 * Detection doubled, as the cooldown after a recent failover asks: twice the failed probes in a row that the
 * policy needs (window mode: twice `window.failures`, in a row). A region that stays down is failed over after
 * at most twice the detection bound, whatever the cooldown: the cooldown damps flapping, it never keeps a
 * failover from a dead region.
 */
export function doubledThresholdReached(state: MonitorState, policy: MonitorPolicy): boolean {
  const needed = policy.window
    ? policy.window.failures
    : (policy.failureThreshold ?? Number.POSITIVE_INFINITY);
  return state.consecutiveFailures >= 2 * needed;
}

/**
 * The failure threshold in force now, as status and every cycle's reason say it: the policy's, or twice it in a
 * row while the cooldown after a failover lasts (while a failover is still to decide; see doubledThresholdReached).
 */
export interface ThresholdInForce {
  /** Failures that fail over now. */
  needed: number;
  /** The policy's own threshold (window mode: `window.failures`). */
  base: number;
  /** When the cooldown ends (ISO 8601): until then `needed` is twice `base`, counted in a row. */
  cooldownUntil?: string;
}

export function thresholdInForce(state: MonitorState, policy: MonitorPolicy, now: Date): ThresholdInForce {
  const base = policy.window?.failures ?? policy.failureThreshold ?? 1;
  const cooldownEnds = at(state.lastFailoverAt) + durationMs(policy.cooldown);
  const deciding = state.mode === 'monitoring' || state.mode === 'degraded';
  return deciding && state.activeRegion === 'primary' && now.getTime() < cooldownEnds
    ? { needed: 2 * base, base, cooldownUntil: new Date(cooldownEnds).toISOString() }
    : { needed: base, base };
}

function evidence(state: MonitorState, policy: MonitorPolicy): FailureEvidence {
  return {
    firstFailureAt: state.firstFailureAt ?? state.recentProbes.at(-1)?.at ?? '',
    consecutiveFailures: state.consecutiveFailures,
    ...(policy.window ? { windowFailures: countedFailures(state, policy) } : {}),
    recentProbes: state.recentProbes.slice(-Math.max(policy.failureThreshold ?? policy.window?.of ?? 1, 5)),
  };
}

/** Drops an expired pause; the only change time alone can cause. */
function expirePause(state: MonitorState, now: Date, commands: MonitorCommand[]): MonitorState {
  if (state.pause && Date.parse(state.pause.until) <= now.getTime()) {
    commands.push({ type: 'pause-expired', pause: state.pause });
    const { pause: _expired, ...rest } = state;
    return rest;
  }
  return state;
}

export function decide(
  state0: MonitorState,
  event: MonitorEvent,
  policy: MonitorPolicy,
  now: Date,
): Decision {
  const commands: MonitorCommand[] = [];
  let state = expirePause(state0, now, commands);

  switch (event.type) {
    case 'probe':
      state = onProbe(state, event.result, policy, now, commands);
      break;
    case 'pause': {
      const problem = pauseProblem(event.until, policy, now);
      if (problem) commands.push({ type: 'rejected', reason: `pause until ${event.until} ${problem}` });
      else
        state = {
          ...state,
          pause: {
            until: new Date(Date.parse(event.until)).toISOString(),
            reason: event.reason,
            by: event.by,
          },
        };
      break;
    }
    case 'resume': {
      const { pause: _cleared, ...rest } = state;
      state = rest;
      break;
    }
    case 'operation-requested': {
      const verdict = judgeRequest(state, event, policy, now);
      commands.push(verdict);
      if (verdict.type === 'start-operation') state = started(state, verdict.direction, now);
      break;
    }
    case 'failover-finished':
      state = !didItsWork(event.outcome)
        ? {
            ...state,
            mode: thresholdReached(state, policy) ? 'degraded' : 'monitoring',
            thresholdAnnounced: false,
          }
        : {
            ...state,
            mode: 'failed-over',
            activeRegion: 'secondary',
            consecutiveSuccesses: 0,
            recoveryAnnounced: false,
            primaryHealthySince: undefined,
          };
      break;
    case 'failback-finished':
      state = !didItsWork(event.outcome)
        ? { ...state, mode: 'failed-over' }
        : {
            ...initialMonitorState(),
            probes: state.probes,
            recentProbes: state.recentProbes,
            lastFailoverAt: state.lastFailoverAt,
            lastFailbackAt: now.toISOString(),
            ...(state.pause ? { pause: state.pause } : {}),
          };
      break;
  }
  const next = dropUndefined(state);
  return { state: next, commands, reason: explain(next, event, commands, policy, now) };
}

function onProbe(
  prev: MonitorState,
  probe: ProbeResult,
  policy: MonitorPolicy,
  now: Date,
  commands: MonitorCommand[],
): MonitorState {
  const failed = !probe.healthy;
  const windowSize = policy.window?.of ?? 0;
  let state: MonitorState = {
    ...prev,
    probes: prev.probes + 1,
    recentProbes: [...prev.recentProbes, probe].slice(-RECENT_PROBES),
    recentOutcomes: windowSize ? [...prev.recentOutcomes, failed].slice(-windowSize) : [],
    consecutiveFailures: failed ? prev.consecutiveFailures + 1 : 0,
    consecutiveSuccesses: failed ? 0 : prev.consecutiveSuccesses + 1,
  };
  const paused = state.pause !== undefined;

  switch (state.mode) {
    case 'monitoring':
    case 'degraded': {
      if (failed && !state.alerted) {
        state = { ...state, mode: 'degraded', alerted: true, firstFailureAt: probe.at };
        commands.push({ type: 'alert-degraded', evidence: evidence(state, policy) });
      }
      if (failed && thresholdReached(state, policy)) {
        const cooldownEnds = at(state.lastFailoverAt) + durationMs(policy.cooldown);
        const withheld = (reason: 'automatic-failover-off' | 'cooldown' | 'paused', until?: string) => {
          if (!state.thresholdAnnounced) {
            commands.push({
              type: 'failover-withheld',
              reason,
              ...(until ? { until } : {}),
              evidence: evidence(state, policy),
            });
            state = { ...state, thresholdAnnounced: true };
          }
        };
        if (!policy.automaticFailover) withheld('automatic-failover-off');
        else if (paused) withheld('paused', state.pause?.until);
        else if (now.getTime() < cooldownEnds && !doubledThresholdReached(state, policy))
          withheld('cooldown', new Date(cooldownEnds).toISOString());
        else {
          commands.push({
            type: 'start-operation',
            direction: 'failover',
            trigger: 'automatic',
            evidence: evidence(state, policy),
          });
          state = started(state, 'failover', now);
        }
      }
      if (!failed && state.mode === 'degraded' && state.consecutiveSuccesses >= policy.recoveryThreshold) {
        commands.push({ type: 'health-recovered', since: probe.at });
        state = {
          ...state,
          mode: 'monitoring',
          alerted: false,
          thresholdAnnounced: false,
          firstFailureAt: undefined,
        };
      }
      break;
    }
    case 'failed-over': {
      if (failed) {
        state = { ...state, primaryHealthySince: undefined, recoveryAnnounced: false };
        break;
      }
      const since = state.primaryHealthySince ?? probe.at;
      state = { ...state, primaryHealthySince: since };
      if (state.consecutiveSuccesses >= policy.recoveryThreshold) {
        if (!state.recoveryAnnounced) {
          commands.push({ type: 'primary-recovered', since });
          state = { ...state, recoveryAnnounced: true };
        }
        const soak = automaticFailback(policy) ? failbackSoakMs(policy) : undefined;
        if (soak !== undefined && !paused && now.getTime() - Date.parse(since) >= soak) {
          commands.push({
            type: 'start-operation',
            direction: 'failback',
            trigger: 'automatic',
            healthySince: since,
          });
          state = started(state, 'failback', now);
        }
      }
      break;
    }
    case 'failing-over':
    case 'failing-back':
      break; // An operation is running; probes are recorded as evidence only.
  }
  return state;
}

/**
 * Whether an ended operation did what it set out to do (with errors, perhaps): a failed, cancelled or superseded
 * one did not, so the monitor goes back to where it was before it started.
 */
export const didItsWork = (outcome: OperationOutcome): boolean =>
  outcome === 'succeeded' || outcome === 'completed-with-errors';

/** The one place an operation's start moves the state: decided, not reported back afterwards. */
export function started(state: MonitorState, direction: 'failover' | 'failback', now: Date): MonitorState {
  return direction === 'failover'
    ? { ...state, mode: 'failing-over', lastFailoverAt: now.toISOString() }
    : { ...state, mode: 'failing-back' };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What withholds (or, the cooldown, delays) an automatic failover now: one per cause, strongest first. */
export interface Withheld {
  /** `pause`: an operator's pause; `automatic-off`: the policy; `cooldown`: detection doubled after a failover. */
  by: 'pause' | 'automatic-off' | 'cooldown';
  /** When it stops holding (a pause's end, the cooldown's end); none for `automatic-off`. */
  until?: string;
  /** Who paused. */
  who?: string;
  /** In words, as `lastCycle` says it. */
  reason: string;
}

/**
 * Every cause that withholds an automatic failover right now, whatever the probes say (status shows it every
 * cycle, not only in the one `failover.withheld` event). An expired pause withholds nothing. The cooldown
 * never forbids a failover: it doubles detection until it ends.
 */
export function withholding(state: MonitorState, policy: MonitorPolicy, now: Date): Withheld[] {
  const out: Withheld[] = [];
  const pause = state.pause && Date.parse(state.pause.until) > now.getTime() ? state.pause : undefined;
  if (pause)
    out.push({
      by: 'pause',
      until: pause.until,
      who: pause.by,
      reason: `paused until ${pause.until} by ${pause.by}`,
    });
  if (!policy.automaticFailover) out.push({ by: 'automatic-off', reason: 'automatic failover is off' });
  const cooldownEnds = at(state.lastFailoverAt) + durationMs(policy.cooldown);
  if (now.getTime() < cooldownEnds)
    out.push({
      by: 'cooldown',
      until: iso(cooldownEnds),
      reason: `cooldown until ${iso(cooldownEnds)} (detection doubled: fails over at ${2 * (policy.window?.failures ?? policy.failureThreshold ?? 0)} failed probes in a row)`,
    });
  return out;
}

/** One sentence per cycle: the outcome first, then the numbers that led to it. */
function explain(
  state: MonitorState,
  event: MonitorEvent,
  commands: MonitorCommand[],
  policy: MonitorPolicy,
  now: Date,
): string {
  const verdict = commands.find(
    (c) =>
      c.type === 'rejected' ||
      c.type === 'conflict' ||
      c.type === 'start-operation' ||
      c.type === 'supersede',
  );
  if (verdict?.type === 'supersede') return `failover accepted: ${verdict.reason}`;
  if (verdict?.type === 'rejected') return `refused: ${verdict.reason}`;
  if (verdict?.type === 'conflict') return `refused: ${verdict.reason}`;
  if (verdict?.type === 'start-operation' && verdict.trigger === 'manual')
    return `${verdict.direction} accepted: it starts now`;
  if (event.type !== 'probe') return `${event.type} recorded; the monitor is ${reportedMode(state, now)}`;
  const counted = countedFailures(state, policy);
  // During the cooldown the doubled threshold, in a row, is the one that fails over: said once, the same here.
  const threshold = thresholdInForce(state, policy, now);
  const needs = threshold.cooldownUntil
    ? `${state.consecutiveFailures} failed probe(s) in a row (fails over at ${threshold.needed} until the cooldown ends)`
    : policy.window
      ? `${counted} of the last ${state.recentOutcomes.length} probes failed (fails over at ${policy.window.failures} of ${policy.window.of})`
      : `${state.consecutiveFailures} failed probe(s) in a row (fails over at ${policy.failureThreshold})`;
  const pause = state.pause ? `paused until ${state.pause.until} by ${state.pause.by}; ` : '';
  // While the primary is active, every cycle says what would withhold an automatic failover now.
  const withholds = withholding(state, policy, now)
    .map((w) => `${w.reason}; `)
    .join('');
  for (const c of commands) {
    if (c.type === 'start-operation')
      return c.direction === 'failover'
        ? `failover starts: ${needs}`
        : `failback starts: the primary has been healthy since ${c.healthySince}`;
    if (c.type === 'failover-withheld')
      return `failover withheld (${c.reason === 'automatic-failover-off' ? 'automatic failover is off' : c.reason === 'paused' ? `paused until ${c.until}` : `cooldown until ${c.until}: detection doubled, fails over at ${2 * (policy.window?.failures ?? policy.failureThreshold ?? 0)} failed probes in a row`}): ${needs}`;
  }
  const healthy = event.result.healthy;
  switch (state.mode) {
    case 'failing-over':
    case 'failing-back':
      return `${pause}an operation runs; the probe (${healthy ? 'healthy' : 'failed'}) is kept as evidence`;
    case 'monitoring':
      return `${withholds}primary healthy`;
    case 'degraded':
      return healthy
        ? `${withholds}primary answered: ${state.consecutiveSuccesses} of ${policy.recoveryThreshold} healthy probes to recover`
        : `${withholds}primary failing: ${needs}`;
    case 'failed-over': {
      if (!healthy) return `${pause}failed over; the primary still fails its health check`;
      const soak = policy.failback === 'manual' ? undefined : failbackSoakMs(policy);
      const healthyMs = healthyFor(state, now);
      if (state.consecutiveSuccesses < policy.recoveryThreshold)
        return `${pause}failed over; the primary answered ${state.consecutiveSuccesses} of ${policy.recoveryThreshold} healthy probes`;
      if (soak === undefined)
        return `${pause}failed over; the primary is healthy again and failback is manual`;
      const soakEnds = iso(Date.parse(state.primaryHealthySince ?? now.toISOString()) + soak);
      if (automaticFailback(policy))
        return `${pause}failed over; the primary is healthy, failback after the soak at ${soakEnds} (${healthyMs} of ${soak} ms)`;
      return healthyMs >= soak
        ? `${pause}failed over; the primary has been healthy for the soak: failback waits for an operator's approval`
        : `${pause}failed over; the primary is healthy, soak until ${soakEnds} (${healthyMs} of ${soak} ms), then failback waits for an operator's approval`;
    }
  }
}

/**
 * The referee for a manual failover or failback: one operation at a time; no second failover after one that
 * succeeded (unless overrides are given, to finish what it could not); failback only when failed over, and
 * only after the recovery soak unless forced.
 */
function judgeRequest(
  state: MonitorState,
  request: Extract<MonitorEvent, { type: 'operation-requested' }>,
  policy: MonitorPolicy,
  now: Date,
): MonitorCommand {
  const { active } = request;
  if (active) {
    // Break-glass: a failover with overrides replaces the running operation, if it could start on its own.
    if (request.direction !== 'failover' || !request.overrides)
      return {
        type: 'conflict',
        operationId: active.operationId,
        reason: `${active.direction} ${active.operationId} is in progress`,
      };
    const alone = judgeRequest(state, { ...request, active: undefined }, policy, now);
    return alone.type === 'start-operation'
      ? {
          type: 'supersede',
          operationId: active.operationId,
          reason: `it supersedes the ${active.direction} ${active.operationId}, which stops at its next step boundary; this one starts when it has`,
        }
      : alone;
  }
  if (request.direction === 'failover') {
    if (state.mode === 'failed-over' && request.lastOutcome === 'succeeded' && !request.overrides)
      return {
        type: 'rejected',
        reason: 'already failed over to the secondary, and that failover succeeded',
      };
    // A planned failover leaves the primary its split slots until the next boundary: lost if it is failing.
    if (request.kind === 'planned' && state.mode !== 'failed-over' && state.consecutiveFailures > 0)
      return {
        type: 'rejected',
        reason: `the primary is failing its health check (${state.consecutiveFailures} failed probe(s) in a row): a planned failover would wait for the next slot boundary and the primary's split slots until then would not run; ask for kind "emergency"`,
      };
    return { type: 'start-operation', direction: 'failover', trigger: 'manual' };
  }
  if (state.mode !== 'failed-over')
    return { type: 'rejected', reason: `nothing to fail back: the monitor is ${state.mode}` };
  if (!request.force) {
    const soakMs = failbackSoakMs(policy);
    const healthyMs = healthyFor(state, now);
    if (state.consecutiveSuccesses < policy.recoveryThreshold || healthyMs < soakMs)
      return {
        type: 'rejected',
        reason: `the primary has not been healthy for the soak yet (${state.consecutiveSuccesses} of ${policy.recoveryThreshold} healthy probes in a row${soakMs ? `, ${healthyMs} of ${soakMs} ms` : ''}); pass force to fail back anyway`,
      };
  }
  return { type: 'start-operation', direction: 'failback', trigger: 'manual' };
}

/**
 * The pause rule (in the future, at most the plan's maxPause ahead): what is wrong with `until`, or undefined.
 * The HTTP API asks it too, to answer 400 at once; the monitor's verdict is the one that counts.
 */
export function pauseProblem(
  until: string,
  policy: Pick<MonitorPolicy, 'maxPause'>,
  now: Date,
): string | undefined {
  const untilMs = Date.parse(until);
  const latest = now.getTime() + durationMs(policy.maxPause);
  if (Number.isNaN(untilMs) || untilMs <= now.getTime())
    return `must be in the future (now is ${now.toISOString()})`;
  if (untilMs > latest)
    return `exceeds the plan's maxPause (${policy.maxPause}): the latest allowed is ${new Date(latest).toISOString()}`;
  return undefined;
}

/** Time the primary has been healthy while failed over (for the failback soak gate), in ms. */
export function healthyFor(state: MonitorState, now: Date): number {
  return state.primaryHealthySince ? now.getTime() - Date.parse(state.primaryHealthySince) : 0;
}
