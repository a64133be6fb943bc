/**
 * Client-side pacing per subscription, so a failover of a thousand workflows follows ARM's token buckets
 * (writes 200 + 10/s, reads 250 + 25/s) instead of provoking a storm of 429s. Installed as a pipeline policy
 * in every ARM client, it also honours Retry-After and the `x-ms-ratelimit-remaining-*` headers.
 */
import type {
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  SendRequest,
} from '@azure/core-rest-pipeline';
import { retryAfterMs } from './errors';

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export const ARM_BUCKETS: { reads: BucketSpec; writes: BucketSpec } = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
};

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A token bucket whose waiters are served in arrival order. */
class TokenBucket {
  private tokens: number;
  private last: number;
  private blockedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly spec: BucketSpec,
    private readonly clock: Clock,
  ) {
    this.tokens = spec.capacity;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.spec.capacity,
      this.tokens + ((now - this.last) / 1000) * this.spec.refillPerSecond,
    );
    this.last = now;
  }

  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        this.refill();
        const now = this.clock.now();
        if (now < this.blockedUntil) {
          await this.clock.sleep(this.blockedUntil - now);
          continue;
        }
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.clock.sleep(((1 - this.tokens) / this.spec.refillPerSecond) * 1000);
      }
    });
    // The queue only orders turns; the caller gets this turn's failure through `turn`.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The server knows better: never believe we have more tokens than it says remain. */
  observeRemaining(remaining: number): void {
    this.refill();
    this.tokens = Math.min(this.tokens, remaining);
  }

  blockFor(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + ms);
    this.tokens = 0;
  }
}

export interface ThrottleStats {
  requests: number;
  /** How long ARM took to answer the last LATENCY_WINDOW answered requests (ms, oldest first). */
  latenciesMs: number[];
  throttled: number;
  /** Lowest `remaining` header seen per kind. */
  lowestRemaining: { reads?: number; writes?: number };
}

/** Answered requests kept for the latency the RTO prediction assumes. */
export const LATENCY_WINDOW = 50;

/** One limiter per process: buckets per subscription and kind. */
export class ArmThrottle {
  private readonly buckets = new Map<string, TokenBucket>();
  readonly stats: ThrottleStats = { requests: 0, latenciesMs: [], throttled: 0, lowestRemaining: {} };

  constructor(
    private readonly specs = ARM_BUCKETS,
    private readonly clock: Clock = realClock,
  ) {}

  private bucket(subscription: string, kind: 'reads' | 'writes'): TokenBucket {
    const key = `${subscription.toLowerCase()}/${kind}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.specs[kind], this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /**
   * The slowest of the last LATENCY_WINDOW answers (undefined before the first): the per-request latency an
   * RTO prediction must assume to be a bound. Requests ARM never answered are not in it (they time out).
   */
  observedLatencyMs(): number | undefined {
    return this.stats.latenciesMs.length ? Math.max(...this.stats.latenciesMs) : undefined;
  }

  policy(): PipelinePolicy {
    return {
      name: 'armSubscriptionThrottle',
      sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
        const subscription =
          /\/subscriptions\/([^/?]+)/i.exec(new URL(request.url).pathname)?.[1] ?? 'tenant';
        const kind = request.method === 'GET' || request.method === 'HEAD' ? 'reads' : 'writes';
        const bucket = this.bucket(subscription, kind);
        await bucket.take();
        this.stats.requests++;
        const sentAt = this.clock.now();
        const response = await next(request);
        this.stats.latenciesMs.push(Math.round(this.clock.now() - sentAt));
        if (this.stats.latenciesMs.length > LATENCY_WINDOW) this.stats.latenciesMs.shift();
        const remaining = Number(response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`));
        if (
          Number.isFinite(remaining) &&
          response.headers.has(`x-ms-ratelimit-remaining-subscription-${kind}`)
        ) {
          bucket.observeRemaining(remaining);
          const low = this.stats.lowestRemaining[kind];
          this.stats.lowestRemaining[kind] = low === undefined ? remaining : Math.min(low, remaining);
        }
        if (response.status === 429) {
          this.stats.throttled++;
          // Seconds or an HTTP date; without a usable header, back off a second rather than not at all.
          bucket.blockFor(retryAfterMs(response.headers.get('retry-after')) ?? 1000);
        }
        return response;
      },
    };
  }
}
