import { type RealTimeSource } from './clock';
import { SimInputError } from './errors';

/** The ARM request categories that have their own bucket. */
export type ThrottleCategory = 'reads' | 'writes' | 'deletes';

export interface BucketLimits {
  /** Burst size: how many requests a fresh bucket allows. */
  capacity: number;
  /** Tokens added back per second. */
  refillPerSecond: number;
}

export type ThrottleLimits = Record<ThrottleCategory, BucketLimits>;

/** ARM's documented per-subscription numbers (token bucket per subscription and region). */
export const ARM_THROTTLE_LIMITS: ThrottleLimits = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

export interface ThrottleDecision {
  allowed: boolean;
  /** Whole tokens left after this request, for `x-ms-ratelimit-remaining-subscription-<category>`. */
  remaining: number;
  /** Seconds until one token is back; only when refused. */
  retryAfterSeconds?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Maps an HTTP method to ARM's bucket: GET/HEAD read, DELETE delete, everything else (PUT, PATCH, POST) writes. */
export function categoryOf(method: string): ThrottleCategory {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

/** Token buckets per subscription and category, refilled continuously from a real-time source. */
export class ArmThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private limits: ThrottleLimits;

  constructor(
    limits: Partial<ThrottleLimits> = {},
    private readonly realNow: RealTimeSource = Date.now,
  ) {
    this.limits = mergeLimits(ARM_THROTTLE_LIMITS, limits);
  }

  /** Replaces some limits and refills every bucket, so a test starts from a known state. */
  configure(limits: Partial<ThrottleLimits>): void {
    this.limits = mergeLimits(this.limits, limits);
    this.buckets.clear();
  }

  currentLimits(): ThrottleLimits {
    return structuredClone(this.limits);
  }

  take(subscriptionId: string, category: ThrottleCategory): ThrottleDecision {
    const limits = this.limits[category];
    const key = `${subscriptionId.toLowerCase()}|${category}`;
    const now = this.realNow();
    const bucket = this.buckets.get(key) ?? { tokens: limits.capacity, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(limits.capacity, bucket.tokens + elapsedSeconds * limits.refillPerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const missing = 1 - bucket.tokens;
    const retryAfterSeconds =
      limits.refillPerSecond > 0 ? Math.max(1, Math.ceil(missing / limits.refillPerSecond)) : 60;
    return { allowed: false, remaining: 0, retryAfterSeconds };
  }
}

function mergeLimits(base: ThrottleLimits, patch: Partial<ThrottleLimits>): ThrottleLimits {
  const merged = structuredClone(base);
  for (const category of ['reads', 'writes', 'deletes'] as const) {
    const p = patch[category];
    if (!p) continue;
    if (!(p.capacity >= 1) || !Number.isFinite(p.capacity)) {
      throw new SimInputError(
        `throttle.${category}.capacity`,
        `must be a number >= 1, got ${String(p.capacity)}`,
      );
    }
    if (!(p.refillPerSecond >= 0) || !Number.isFinite(p.refillPerSecond)) {
      throw new SimInputError(
        `throttle.${category}.refillPerSecond`,
        `must be a number >= 0, got ${String(p.refillPerSecond)}`,
      );
    }
    merged[category] = { capacity: p.capacity, refillPerSecond: p.refillPerSecond };
  }
  return merged;
}
