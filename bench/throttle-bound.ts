/**
 * The fastest an operation could possibly go under ARM's per-subscription token buckets: pure arithmetic
 * over the ARM requests it actually sent, so the measured time can be read as a ratio to this floor.
 */
import { ARM_BUCKETS, type BucketSpec } from '../src/adapters/arm/throttle';
import type { RequestLogEntry } from '../local/sim/arm';

export type BucketKind = 'reads' | 'writes';

/** A run of requests of one kind that the operation issues together (e.g. every planning read). */
export interface RequestPhase {
  kind: BucketKind;
  count: number;
}

export const bucketOf = (method: string): BucketKind =>
  method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'reads' : 'writes';

/**
 * Splits ARM requests, in arrival order, into maximal runs of one bucket kind. An operation's phases depend on
 * each other (plan from reads, then writes, then read back), so its requests arrive as such runs.
 */
export function phasesOf(kinds: readonly BucketKind[]): RequestPhase[] {
  const phases: RequestPhase[] = [];
  for (const kind of kinds) {
    const last = phases.at(-1);
    if (last?.kind === kind) last.count++;
    else phases.push({ kind, count: 1 });
  }
  return phases;
}

/** The ARM listener's requests of the log, in arrival order, as bucket kinds. */
export function armRequestKinds(log: readonly RequestLogEntry[]): BucketKind[] {
  return log
    .filter((e) => e.listener === 'arm')
    .sort((a, b) => a.seq - b.seq)
    .map((e) => bucketOf(e.method));
}

/**
 * Lower bound in ms: both buckets start full; each phase waits until its last request has a token (no sooner
 * than `(count - tokens) / refill`), then one round trip (`latencyMs`) before the next phase can start. The
 * idle bucket keeps refilling meanwhile, up to its capacity. Concurrency is unlimited here, so the bound is
 * what the buckets alone allow. Stretching a phase cannot beat it: a later phase gains at most one ms of
 * waiting per ms of delay spent refilling its bucket.
 */
export function throttleBoundMs(
  phases: readonly RequestPhase[],
  latencyMs: number,
  buckets: Record<BucketKind, BucketSpec> = ARM_BUCKETS,
): number {
  const tokens: Record<BucketKind, number> = {
    reads: buckets.reads.capacity,
    writes: buckets.writes.capacity,
  };
  let total = 0;
  for (const phase of phases) {
    const spec = buckets[phase.kind];
    const available = tokens[phase.kind];
    const waitMs = phase.count <= available ? 0 : ((phase.count - available) / spec.refillPerSecond) * 1000;
    tokens[phase.kind] = Math.max(0, available - phase.count);
    const spent = waitMs + latencyMs;
    total += spent;
    for (const kind of ['reads', 'writes'] as const) {
      // The phase's own bucket refills only during the round trip (its wait used every token that came in).
      const refillMs = kind === phase.kind ? latencyMs : spent;
      tokens[kind] = Math.min(
        buckets[kind].capacity,
        tokens[kind] + (refillMs / 1000) * buckets[kind].refillPerSecond,
      );
    }
  }
  return total;
}
