/**
 * The readable live log of `npm start`: probes, monitor decisions, operations with their steps, and the
 * notifications the broker received. Probes and actions are seen by wrapping the ports the activities use;
 * monitor and operation progress by watching the host's durable state (read-only).
 */
import type { HealthProbe } from '../../src/adapters/probe';
import { locatorLabel, type LogicAppsControl } from '../../src/adapters/logicapps/port';
import type { FunctionsHost } from '../host';
import { placedLabel, type RegionPlaces } from '../../src/core/notifications';
import {
  ORCHESTRATIONS,
  monitorInstanceId,
  type OperationRecord,
  monitorOf,
} from '../../src/durable/contracts';

export type LogTopic = 'start' | 'probe' | 'monitor' | 'operation' | 'action' | 'notify' | 'host' | 'stop';

export interface LogLine {
  at: Date;
  topic: LogTopic;
  message: string;
  /** Warnings and errors go to stderr. */
  level?: 'info' | 'warn' | 'error';
}

export type LiveLog = (line: LogLine) => void;

/** `12:03:04.123 probe     healthy 200 in 14 ms`. */
export function formatLogLine(line: LogLine): string {
  const time = line.at.toISOString().slice(11, 23);
  return `${time} ${line.topic.padEnd(9)} ${line.message}`;
}

/** How long a line waits for earlier ones seen later (the watcher polls the host every 250 ms). */
export const CAUSAL_HOLD_MS = 750;

/**
 * A log that prints lines in the order things happened, not the order they were seen: each line is held for
 * CAUSAL_HOLD_MS and released sorted by its own time, so an operation's request (seen by polling) precedes
 * the ARM writes it caused (seen at once). `close()` releases everything held.
 */
export function causalLog(
  sink: LiveLog,
  now: () => number = Date.now,
  holdMs = CAUSAL_HOLD_MS,
): LiveLog & { release(): void; close(): void } {
  let held: LogLine[] = [];
  const release = (all = false): void => {
    const cutoff = now() - holdMs;
    const due = held.filter((l) => all || l.at.getTime() <= cutoff);
    if (!due.length) return;
    held = held.filter((l) => !due.includes(l));
    // A stable sort: lines of one instant keep the order they were logged in.
    for (const line of due.sort((a, b) => a.at.getTime() - b.at.getTime())) sink(line);
  };
  const timer = setInterval(() => release(), 100);
  timer.unref();
  return Object.assign((line: LogLine) => void held.push(line), {
    release: () => release(),
    close: () => {
      clearInterval(timer);
      release(true);
    },
  });
}

/** The health probe, logging every result (healthy or the failure class, with latency). */
export function loggingProbe(probe: HealthProbe, log: LiveLog, now: () => Date): HealthProbe {
  return {
    async probe(healthCheck, at) {
      const result = await probe.probe(healthCheck, at);
      const status = result.status !== undefined ? ` ${result.status}` : '';
      log({
        at: now(),
        topic: 'probe',
        level: result.healthy ? 'info' : 'warn',
        message: result.healthy
          ? `primary healthy${status} in ${result.latencyMs} ms`
          : `primary FAILED (${result.failure ?? 'error'}${status}) in ${result.latencyMs} ms${result.detail ? `: ${result.detail}` : ''}`,
      });
      return result;
    },
  };
}

/** `primary:order-webhook in westeurope`: a target's label with its region's Azure location. */
export function placedLocator(label: string, regions: RegionPlaces | undefined): string {
  const region = /^(primary|secondary):/.exec(label)?.[1] as keyof RegionPlaces | undefined;
  return region && regions ? `${label} in ${regions[region].location}` : label;
}

/**
 * The Logic Apps port, logging every write (state changes and recurrence rewrites) and its outcome, each
 * target named with its region's Azure location when the plan's regions are given.
 */
export function loggingControl(
  control: LogicAppsControl,
  log: LiveLog,
  now: () => Date,
  regions?: RegionPlaces,
): LogicAppsControl {
  const named = (t: Parameters<typeof locatorLabel>[0]) => placedLocator(locatorLabel(t), regions);
  // A pending fence is retried every probe cycle: its same failure again is news only once (the watcher
  // names every pending fence once per cycle).
  const lastFailure = new Map<string, string>();
  const logged = async <T extends { changed: boolean }>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      const result = await run();
      lastFailure.delete(what);
      log({ at: now(), topic: 'action', message: `${what}: ${result.changed ? 'done' : 'already so'}` });
      return result;
    } catch (err) {
      const message = `${what}: failed (${err instanceof Error ? err.message : String(err)})`;
      if (lastFailure.get(what) !== message) log({ at: now(), topic: 'action', level: 'warn', message });
      lastFailure.set(what, message);
      throw err;
    }
  };
  return {
    getWorkflow: (t) => control.getWorkflow(t),
    listWorkflows: (scope, opts) => control.listWorkflows(scope, opts),
    getSiteWorkflows: (site, workflows) => control.getSiteWorkflows(site, workflows),
    setSiteStates: async (site, states) => {
      const what = `set ${Object.entries(states)
        .map(([w, st]) => `${w} ${st}`)
        .join(', ')} in ${site.label ?? `${site.resourceGroup}/${site.site}`}`;
      const result = await logged(what, async () => {
        const { changed } = await control.setSiteStates(site, states);
        return { changed: changed.length > 0, workflows: changed };
      });
      return { changed: result.workflows };
    },
    setState: (t, state, opts) =>
      logged(`${state === 'Enabled' ? 'enable' : 'disable'} ${named(t)}`, () =>
        control.setState(t, state, opts),
      ),
    setRecurrence: (t, recurrence, opts) =>
      logged(`rewrite recurrence of ${named(t)}`, () => control.setRecurrence(t, recurrence, opts)),
    listTriggers: (t) => control.listTriggers(t),
    getCallbackUrl: (t, trigger) => control.getCallbackUrl(t, trigger),
    listRunningRuns: (t) => control.listRunningRuns(t),
  };
}

interface OperationProgress {
  timeline: { at: string; event: string }[];
}

/**
 * Watches the monitor's published state and the operations' timelines on the in-process host and logs what
 * changed. Returns a function that stops watching.
 */
export function watchControlPlane(
  host: FunctionsHost,
  planId: string,
  log: LiveLog,
  now: () => Date,
  everyMs = 250,
): () => void {
  const monitorId = monitorInstanceId(planId);
  let last: { mode: string; activeRegion: string; paused: boolean; failures: number } | undefined;
  let lastCycle: number | undefined;
  const timelineSeen = new Map<string, number>();
  const finished = new Set<string>();

  const poll = (): void => {
    const instance = host.durable.getStatus(monitorId);
    const status = instance ? monitorOf(instance) : undefined;
    if (status?.state) {
      const s = status.state;
      const paused = s.pause !== undefined && Date.parse(s.pause.until) > now().getTime();
      const next = { mode: s.mode, activeRegion: s.activeRegion, paused, failures: s.consecutiveFailures };
      if (!last) {
        log({
          at: now(),
          topic: 'monitor',
          message: `running: mode ${s.mode}, active region ${s.activeRegion}`,
        });
      } else if (last.mode !== next.mode || last.activeRegion !== next.activeRegion) {
        log({
          at: now(),
          topic: 'monitor',
          level: next.mode === 'monitoring' ? 'info' : 'warn',
          message: `mode ${last.mode} -> ${next.mode}, active region ${next.activeRegion}${next.failures && next.mode !== 'failing-back' && next.mode !== 'monitoring' ? ` (${next.failures} failed probe(s) in a row)` : ''}`,
        });
      }
      if (last && last.paused !== next.paused) {
        log({
          at: now(),
          topic: 'monitor',
          message: next.paused ? `paused until ${s.pause?.until} by ${s.pause?.by}` : 'pause over',
        });
      }
      last = next;
      const cycle = status.lastProbeCycle;
      if (
        cycle !== undefined &&
        cycle !== lastCycle &&
        lastCycle !== undefined &&
        status.pendingFences.length
      ) {
        const fences = status.pendingFences.map((t) => placedLabel(t, status.regions));
        log({
          at: now(),
          topic: 'monitor',
          level: 'warn',
          message: `${fences.length} pending fence(s), tried this cycle, applied when their region's ARM answers: ${fences.join(', ')}${status.omitted?.pendingFences ? ` and ${status.omitted.pendingFences} more` : ''}`,
        });
      }
      lastCycle = cycle;
    }
    for (const op of host.durable.list()) {
      if (op.name !== ORCHESTRATIONS.operation) continue;
      const progress = (op.output as OperationRecord | undefined) ?? (op.customStatus as OperationProgress);
      const timeline = progress?.timeline ?? [];
      const seen = timelineSeen.get(op.instanceId) ?? 0;
      for (const item of timeline.slice(seen)) {
        // The operation's own time for each step, so the log orders it before the writes it caused.
        const at = new Date(item.at);
        log({
          at: Number.isNaN(at.getTime()) ? now() : at,
          topic: 'operation',
          message: `${shortId(op.instanceId)}: ${item.event}`,
        });
      }
      timelineSeen.set(op.instanceId, Math.max(seen, timeline.length));
      if (op.runtimeStatus !== 'Running' && op.runtimeStatus !== 'Pending' && !finished.has(op.instanceId)) {
        finished.add(op.instanceId);
        const record = op.output as OperationRecord | undefined;
        log({
          at: now(),
          topic: 'operation',
          level: record?.status === 'succeeded' ? 'info' : 'warn',
          message: `${shortId(op.instanceId)} finished: ${record?.status ?? op.runtimeStatus}${record?.rto.measuredMs !== undefined ? `, outage to last verified action ${(record.rto.measuredMs / 1000).toFixed(1)} s` : ''}`,
        });
      }
    }
  };
  const timer = setInterval(poll, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

const shortId = (instanceId: string): string => instanceId.replace(/^dr-op-/, '');
