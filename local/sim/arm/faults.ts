import { z } from 'zod';
import { SimInputError } from './errors';
import { normaliseLocation } from './location';

/**
 * A fault injected into one region. `down` refuses (connections reset / runtime listener closed) or hangs
 * (no answer until restore or stop); `slow` adds latency; `errors` answers a share of ARM requests with
 * 500/503; `throttled` answers every ARM request with 429; `unhealthy` makes health-check workflows report
 * failure (HTTP 500, or 200 with `{"status":"Unhealthy"}`).
 */
export const regionFaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('down'), mode: z.enum(['refused', 'hang']).default('refused') }).strict(),
  z.object({ kind: z.literal('slow'), latencyMs: z.number().int().min(0).max(600_000) }).strict(),
  z
    .object({
      kind: z.literal('errors'),
      rate: z.number().min(0).max(1),
      statuses: z
        .array(z.union([z.literal(500), z.literal(503)]))
        .min(1)
        .default([500, 503]),
    })
    .strict(),
  z
    .object({ kind: z.literal('throttled'), retryAfterSeconds: z.number().int().min(0).max(3600).default(1) })
    .strict(),
  z.object({ kind: z.literal('unhealthy'), mode: z.enum(['status', 'body']).default('status') }).strict(),
]);

export type RegionFaultInput = z.input<typeof regionFaultSchema>;
export type RegionFault = z.output<typeof regionFaultSchema>;
export type RegionFaultKind = RegionFault['kind'];

/** Everything currently wrong with one region; faults of different kinds combine. */
export interface RegionFaultState {
  down?: 'refused' | 'hang';
  slowMs: number;
  errors?: { rate: number; statuses: (500 | 503)[] };
  throttled?: { retryAfterSeconds: number };
  unhealthy?: 'status' | 'body';
}

/** Parses a fault from untrusted input (control endpoint, options) with a message naming the bad field. */
export function parseRegionFault(value: unknown, where: string): RegionFault {
  const parsed = regionFaultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
    throw new SimInputError(path, issue?.message ?? 'is not a valid fault');
  }
  return parsed.data;
}

/** Per-region fault switches. Change listeners let the server close listeners or release held requests. */
export class FaultBoard {
  private readonly regions = new Map<string, RegionFaultState>();
  private readonly listeners: ((region: string, state: RegionFaultState) => void)[] = [];

  onChange(listener: (region: string, state: RegionFaultState) => void): void {
    this.listeners.push(listener);
  }

  get(location: string): RegionFaultState {
    return { ...(this.regions.get(normaliseLocation(location)) ?? { slowMs: 0 }) };
  }

  /** Every region that has at least one fault, with its faults. */
  all(): Record<string, RegionFaultState> {
    return Object.fromEntries([...this.regions.entries()].map(([region, state]) => [region, { ...state }]));
  }

  apply(location: string, fault: RegionFault): void {
    const region = normaliseLocation(location);
    const state: RegionFaultState = { ...(this.regions.get(region) ?? { slowMs: 0 }) };
    switch (fault.kind) {
      case 'down':
        state.down = fault.mode;
        break;
      case 'slow':
        state.slowMs = fault.latencyMs;
        break;
      case 'errors':
        state.errors = { rate: fault.rate, statuses: fault.statuses };
        break;
      case 'throttled':
        state.throttled = { retryAfterSeconds: fault.retryAfterSeconds };
        break;
      case 'unhealthy':
        state.unhealthy = fault.mode;
        break;
    }
    this.regions.set(region, state);
    this.emit(region);
  }

  /** Clears one kind of fault, or all of them when `kind` is omitted. */
  restore(location: string, kind?: RegionFaultKind): void {
    const region = normaliseLocation(location);
    const state = this.regions.get(region);
    if (!state) return;
    if (kind === undefined) {
      this.regions.delete(region);
    } else {
      if (kind === 'down') delete state.down;
      if (kind === 'slow') state.slowMs = 0;
      if (kind === 'errors') delete state.errors;
      if (kind === 'throttled') delete state.throttled;
      if (kind === 'unhealthy') delete state.unhealthy;
    }
    this.emit(region);
  }

  private emit(region: string): void {
    const state = this.get(region);
    for (const listener of this.listeners) listener(region, state);
  }
}
