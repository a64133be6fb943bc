/**
 * The plan the embedded demo runs: the example plan with its cadences shortened so a whole outage, failover
 * and failback fits in a minute or two of real time. Pure: plan JSON in, plan JSON and notes out.
 */
import { durationMs, formatDuration } from '../../src/core/duration';

export interface LocalCadence {
  /** Probe interval (ISO 8601), e.g. PT2S; the watchdog ticks at the same cadence. */
  probeInterval: string;
  /** Cadence of split-recurrence entries; PT1M is the shortest a split supports. */
  splitEvery: string;
  /**
   * Where the split slots start (ISO instant): moves the slot grid, e.g. so a drill's failback, which waits
   * for the next slot boundary, does not wait most of a minute. Default: each entry's own anchor.
   */
  splitAnchor?: string;
}

export const DEFAULT_LOCAL_CADENCE: LocalCadence = { probeInterval: 'PT2S', splitEvery: 'PT1M' };

export class LocalCadenceError extends Error {
  override readonly name = 'LocalCadenceError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface LocalPlan {
  /** The plan document to parse (still plan *input*: defaults are applied by the loader). */
  document: Json;
  /** What was shortened, one line each, for the start banner. */
  notes: string[];
}

/**
 * Shortens the probe interval, every probe timeout (to at most half the interval, so probes never overlap)
 * and every split cadence. Anything already shorter is left alone.
 */
export function localDemoPlan(document: unknown, cadence: LocalCadence = DEFAULT_LOCAL_CADENCE): LocalPlan {
  if (!isObject(document)) throw new LocalCadenceError('the plan document is not a JSON object');
  const intervalMs = durationMs(cadence.probeInterval, 'DR_LOCAL_PROBE_INTERVAL');
  if (intervalMs < 1000 || intervalMs % 1000 !== 0)
    throw new LocalCadenceError(
      `DR_LOCAL_PROBE_INTERVAL ${cadence.probeInterval} must be whole seconds, at least PT1S (the watchdog ticks in seconds)`,
    );
  if (intervalMs > 59_000)
    throw new LocalCadenceError(
      `DR_LOCAL_PROBE_INTERVAL ${cadence.probeInterval} must be under a minute (the watchdog schedule is */N seconds)`,
    );
  const splitMs = durationMs(cadence.splitEvery, 'DR_LOCAL_SPLIT_EVERY');
  const doc = structuredClone(document);
  const notes: string[] = [];
  const timeoutCap = Math.max(500, Math.floor(intervalMs / 2));

  const policy = isObject(doc.policy) ? doc.policy : {};
  const originalInterval = typeof policy.probeInterval === 'string' ? policy.probeInterval : undefined;
  doc.policy = { ...policy, probeInterval: cadence.probeInterval };
  notes.push(`probe interval ${originalInterval ?? '(none)'} -> ${cadence.probeInterval}`);

  const shortenTimeout = (probe: Json, where: string): void => {
    if (typeof probe.timeout !== 'string') return;
    const ms = durationMs(probe.timeout, `${where}.timeout`);
    if (ms <= timeoutCap) return;
    const shorter = formatDuration(timeoutCap);
    notes.push(`${where} timeout ${probe.timeout} -> ${shorter}`);
    probe.timeout = shorter;
  };
  if (isObject(doc.healthCheck)) {
    shortenTimeout(doc.healthCheck, 'health check');
    const deps = doc.healthCheck.dependencies;
    if (isObject(deps) && Array.isArray(deps.probes)) {
      deps.probes.forEach((p, i) => {
        if (isObject(p)) shortenTimeout(p, `dependency ${typeof p.name === 'string' ? p.name : i}`);
      });
    }
  }

  if (Array.isArray(doc.workflows)) {
    for (const entry of doc.workflows) {
      if (!isObject(entry) || entry.role !== 'split-recurrence' || !isObject(entry.schedule)) continue;
      let schedule: Json = entry.schedule;
      const every = schedule.every;
      if (typeof every === 'string' && durationMs(every, `${String(entry.name)}.schedule.every`) > splitMs) {
        notes.push(`split "${String(entry.name)}" every ${every} -> ${cadence.splitEvery}`);
        schedule = { ...schedule, every: cadence.splitEvery };
      }
      if (cadence.splitAnchor !== undefined) {
        notes.push(`split "${String(entry.name)}" anchored at ${cadence.splitAnchor}`);
        schedule = { ...schedule, anchor: cadence.splitAnchor };
      }
      entry.schedule = schedule;
    }
  }
  return { document: doc, notes };
}
