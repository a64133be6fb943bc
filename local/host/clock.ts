/**
 * The host's clock. Durable timers, retry back-off and timer triggers all schedule on it, so tests run
 * hours of orchestration time in milliseconds (virtual) while `npm start` uses the wall clock (real).
 */

export interface ScheduledCallback {
  cancel(): void;
}

export interface HostClock {
  readonly kind: 'virtual' | 'real';
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `callback` once the clock reaches `atMs` (at once, on a later turn, when that is in the past). */
  schedule(atMs: number, callback: () => void): ScheduledCallback;
  /** Drops every pending callback (host shutdown). */
  cancelAll(): void;
}

interface VirtualEntry {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements HostClock {
  readonly kind = 'virtual';
  #now: number;
  #seq = 0;
  #entries: VirtualEntry[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  schedule(atMs: number, callback: () => void): ScheduledCallback {
    const entry: VirtualEntry = {
      at: Math.max(atMs, this.#now),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#entries.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  cancelAll(): void {
    for (const e of this.#entries) e.cancelled = true;
    this.#entries = [];
  }

  /** When the next pending callback is due, if any. */
  nextDueAt(): number | undefined {
    this.#entries = this.#entries.filter((e) => !e.cancelled);
    let best: number | undefined;
    for (const e of this.#entries) if (best === undefined || e.at < best) best = e.at;
    return best;
  }

  /**
   * Moves time to `targetMs` step by step: before each step and at the end `drain` runs all work that the
   * previous step caused, so timers created by fired timers (and their consequences) fire in order too.
   */
  async advanceTo(targetMs: number, drain: () => Promise<void>): Promise<void> {
    await drain();
    for (;;) {
      const due = this.#takeNextDue(targetMs);
      if (!due) break;
      this.#now = Math.max(this.#now, due.at);
      due.callback();
      await drain();
    }
    this.#now = Math.max(this.#now, targetMs);
    await drain();
  }

  #takeNextDue(limit: number): VirtualEntry | undefined {
    let best: VirtualEntry | undefined;
    for (const e of this.#entries) {
      if (e.cancelled || e.at > limit) continue;
      if (!best || e.at < best.at || (e.at === best.at && e.seq < best.seq)) best = e;
    }
    if (best) this.#entries.splice(this.#entries.indexOf(best), 1);
    return best;
  }
}

// setTimeout holds at most a signed 32-bit delay; longer waits re-arm.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class RealClock implements HostClock {
  readonly kind = 'real';
  #timers = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  schedule(atMs: number, callback: () => void): ScheduledCallback {
    let cancelled = false;
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const delay = Math.min(Math.max(atMs - Date.now(), 0), MAX_TIMEOUT_MS);
      handle = setTimeout(() => {
        if (handle) this.#timers.delete(handle);
        if (cancelled) return;
        if (Date.now() < atMs) arm();
        else callback();
      }, delay);
      this.#timers.add(handle);
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        if (handle) {
          clearTimeout(handle);
          this.#timers.delete(handle);
        }
      },
    };
  }

  cancelAll(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
