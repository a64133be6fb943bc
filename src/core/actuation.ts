/**
 * How long an operation's actuation takes, predicted from its plan: ARM's write bucket, one read-back per group,
 * and the wait of split entries for their next slot boundary. Pure: the start time comes in as an argument.
 */
import { durationMs } from './duration';
import type { EntryPlan, OperationPlan } from './planner';
import { nextSlotBoundary } from './schedule';

/** ARM's write bucket holds 200 writes and refills 10 per second (see AZURE-OFFLINE.md). */
export const ARM_WRITE_BURST = 200;
export const ARM_WRITE_REFILL_MS = 100;
/** One read-back per group, about a second on a healthy ARM. */
export const GROUP_READ_BACK_MS = 1_000;

/**
 * host.json `extensions.durableTask.storageProvider.maxQueuePollingInterval`: an idle task hub queue is
 * polled at most this far apart, so a message can wait this long before it is seen (test/host/host-json
 * checks the two agree).
 */
export const QUEUE_POLL_MAX_MS = 2_000;
/**
 * Queue hops from the last failed probe to the operation's first step, each of which may wait a full poll
 * interval: the watchdog's tick to the monitor, the probe activity and its result, the startOperation
 * activity, the operation's start message.
 */
export const DETECTION_QUEUE_HOPS = 5;
/**
 * Queue hops of the actuation: the planOperation activity and its result, then per group the batch
 * sub-orchestration's start and completion, its two applyActions activities and their results (fences, then
 * activations), and the read-back activity and its result.
 */
export function actuationQueueHops(groups: number): number {
  return 2 + 8 * groups;
}

/** After a slot boundary, leave the slot's run time to start before switching (at most 30 s). */
export function boundaryMarginMs(every: string): number {
  return Math.min(30_000, Math.floor(durationMs(every) / 20));
}

export interface ActuationPrediction {
  /** Everything from the plan to the last read-back. */
  actuationMs: number;
  /** Of which: waiting for split entries' slot boundaries (planned operations and failbacks). */
  slotWaitMs: number;
  /** Of which, at worst: messages waiting for an idle queue's next poll (QUEUE_POLL_MAX_MS per hop). */
  queueWaitMs: number;
  /** ARM writes the plan makes (steps that are not no-ops). */
  writes: number;
}

/**
 * Groups run one after the other; inside a group the slowest entry sets the pace, and an entry with a slot
 * boundary starts its steps just after the boundary that follows the group's start.
 */
export function predictActuation(plan: OperationPlan, start: Date): ActuationPrediction {
  const writes = plan.groups
    .flatMap((g) => g.entries.flatMap((e) => e.steps))
    .filter((s) => 'noop' in s && !s.noop).length;
  let at = start.getTime();
  let slotWaitMs = 0;
  for (const group of plan.groups) {
    let wait = 0;
    for (const entry of group.entries) {
      if (!entry.slotBoundary) continue;
      const boundary = nextSlotBoundary(entry.slotBoundary, new Date(at)).at.getTime();
      wait = Math.max(wait, boundary + boundaryMarginMs(entry.slotBoundary.every) - at);
    }
    slotWaitMs += wait;
    at += wait + GROUP_READ_BACK_MS;
  }
  const throttleMs = Math.max(0, writes - ARM_WRITE_BURST) * ARM_WRITE_REFILL_MS;
  const queueWaitMs = actuationQueueHops(plan.groups.length) * QUEUE_POLL_MAX_MS;
  return { actuationMs: at - start.getTime() + throttleMs + queueWaitMs, slotWaitMs, queueWaitMs, writes };
}

/** What a planned operation's group waits for before its split entries switch, in words and as data. */
export interface SplitSlotWait {
  /** When the last of the group's split entries switches (its slot boundary plus the margin). */
  until: string;
  entries: string[];
  /** "waiting for the split slot at HH:MM:SS" (UTC), as status, `dr status` and the live log say it. */
  says: string;
}

/**
 * The wait for the split slot of a group's entries that switch at a slot boundary (planned failovers and
 * failbacks), or undefined when none does. Pure: the entry sub-orchestrations wait for the same times.
 */
export function splitSlotWait(
  entries: readonly Pick<EntryPlan, 'entry' | 'slotBoundary' | 'blocked'>[],
  now: Date,
): SplitSlotWait | undefined {
  const waits = entries.flatMap((e) =>
    e.slotBoundary && !e.blocked
      ? [
          {
            entry: e.entry,
            at: nextSlotBoundary(e.slotBoundary, now).at.getTime() + boundaryMarginMs(e.slotBoundary.every),
          },
        ]
      : [],
  );
  if (!waits.length) return undefined;
  const until = new Date(Math.max(...waits.map((w) => w.at))).toISOString();
  return {
    until,
    entries: waits.map((w) => w.entry),
    says: `waiting for the split slot at ${until.slice(11, 19)}`,
  };
}
