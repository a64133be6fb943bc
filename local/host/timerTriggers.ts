/**
 * Timer triggers on the host's clock. Like the Functions host with `useMonitor` (the default), the schedule
 * status is kept in the store: an occurrence missed while no host ran fires at start-up with
 * `isPastDue: true`. The handler sees the status from before its run, as the host hands it over:
 * `last` = previous run, `next` = the occurrence now running.
 */
import type { HostClock, ScheduledCallback } from './clock';
import type { InstanceStore } from './durable/store';
import { nextOccurrence, parseNcrontab, type NcrontabSchedule } from './ncrontab';
import type { FunctionRegistration } from './registrations';

export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

/** The timer trigger input in the host's wire casing (the programming model camel-cases it). */
export interface TimerWireInput {
  Schedule: { AdjustForDST: boolean };
  ScheduleStatus: { Last: string; Next: string; LastUpdated: string } | null;
  IsPastDue: boolean;
}

// .NET's DateTime.MinValue, what the host reports as `last` before the first run.
const NEVER = '0001-01-01T00:00:00.000Z';

interface TimerState {
  reg: FunctionRegistration;
  schedule: NcrontabSchedule;
  handle: ScheduledCallback | undefined;
}

export class TimerTriggers {
  readonly #timers = new Map<string, TimerState>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(
    private readonly clock: HostClock,
    private readonly store: InstanceStore,
    registrations: readonly FunctionRegistration[],
    private readonly invoke: (reg: FunctionRegistration, input: TimerWireInput) => Promise<void>,
    private readonly log: (message: string) => void,
  ) {
    for (const reg of registrations) {
      if (reg.kind === 'timer' && reg.timer) {
        this.#timers.set(reg.name, { reg, schedule: parseNcrontab(reg.timer.schedule), handle: undefined });
      }
    }
  }

  /** Arms every timer; fires missed (past-due) and runOnStartup occurrences now. */
  start(): void {
    const now = this.clock.now();
    for (const t of this.#timers.values()) {
      const status = this.#status(t.reg.name);
      if (t.reg.timer!.useMonitor && status && Date.parse(status.next) < now) {
        this.#track(this.#fire(t, true, Date.parse(status.next)));
      } else if (t.reg.timer!.runOnStartup) {
        this.#track(this.#fire(t, false, now));
      } else {
        if (!status)
          this.#writeStatus(t.reg.name, { last: NEVER, next: this.#nextIso(t, now), lastUpdated: iso(now) });
        this.#arm(t, now);
      }
    }
  }

  /** Runs a timer function now (like the admin endpoint), outside its schedule. */
  async invokeNow(name: string): Promise<void> {
    const t = this.#timers.get(name);
    if (!t) throw new Error(`No timer trigger function named '${name}'`);
    await this.invoke(t.reg, this.#input(t, false));
  }

  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  isIdle(): boolean {
    return this.#inFlight.size === 0;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) t.handle?.cancel();
  }

  #arm(t: TimerState, after: number): void {
    if (this.#stopped) return;
    const at = nextOccurrence(t.schedule, after);
    if (at === undefined) {
      this.log(`Timer '${t.reg.name}' schedule '${t.reg.timer!.schedule}' never fires again`);
      return;
    }
    t.handle = this.clock.schedule(at, () => this.#track(this.#fire(t, false, at)));
  }

  #track(run: Promise<void>): void {
    const p: Promise<void> = run.finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async #fire(t: TimerState, isPastDue: boolean, occurrence: number): Promise<void> {
    t.handle = undefined;
    // The handler sees the status as it stood: `next` is this occurrence.
    const before = this.#status(t.reg.name) ?? {
      last: NEVER,
      next: iso(occurrence),
      lastUpdated: iso(occurrence),
    };
    try {
      await this.invoke(t.reg, {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: { Last: before.last, Next: iso(occurrence), LastUpdated: before.lastUpdated },
        IsPastDue: isPastDue,
      });
    } catch (err) {
      this.log(`Timer function '${t.reg.name}' failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.#stopped) return;
    const now = this.clock.now();
    this.#writeStatus(t.reg.name, {
      last: iso(occurrence),
      next: this.#nextIso(t, now),
      lastUpdated: iso(now),
    });
    this.#arm(t, now);
  }

  #input(t: TimerState, isPastDue: boolean): TimerWireInput {
    const status = this.#status(t.reg.name);
    return {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: status
        ? { Last: status.last, Next: status.next, LastUpdated: status.lastUpdated }
        : null,
      IsPastDue: isPastDue,
    };
  }

  #nextIso(t: TimerState, after: number): string {
    const next = nextOccurrence(t.schedule, after);
    return next === undefined ? NEVER : iso(next);
  }

  #status(name: string): ScheduleStatus | undefined {
    return this.store.readDocument(`timer-status-${name}`) as ScheduleStatus | undefined;
  }

  #writeStatus(name: string, status: ScheduleStatus): void {
    this.store.writeDocument(`timer-status-${name}`, status);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
