import { SimInputError } from './errors';

/** Virtual time that only moves when the simulator is told to; recurrences fire against it. */
export class VirtualClock {
  private current: number;

  constructor(start: Date) {
    if (Number.isNaN(start.getTime())) throw new SimInputError('clock.start', 'is not a valid date');
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves the clock forward; moving backwards would make recorded runs lie, so it is refused. */
  set(to: Date): void {
    const t = to.getTime();
    if (Number.isNaN(t)) throw new SimInputError('clock.advanceTo', 'is not a valid date');
    if (t < this.current) {
      throw new SimInputError(
        'clock.advanceTo',
        `${to.toISOString()} is before the current virtual time ${new Date(this.current).toISOString()}`,
      );
    }
    this.current = t;
  }
}

/** Milliseconds since the epoch from the real world; injectable so throttling tests need no sleeps. */
export type RealTimeSource = () => number;
