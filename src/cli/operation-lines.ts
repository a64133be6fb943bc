/**
 * The lines `dr status` and `dr operation` share about one operation: its progress while it runs, and each
 * entry it did not (wholly) move.
 */
import type { NotMoved } from '../core/operation-record';
import type { OperationProgress } from '../http/status-view';

/**
 * One entry an operation did not wholly move. A pending fence is not a "not moved": the entry moved, and the
 * copy it left may still run until its region's ARM answers.
 */
export function notMovedLine(n: NotMoved): string {
  if (n.why !== 'pending-fence') return `not moved (${n.why}): ${n.entry}: ${n.reason}`;
  const copies = n.fences?.length ? n.fences.join(', ') : 'its old copy';
  return `moved, not fenced yet: ${n.entry}: ${copies} is not disabled yet and may still run (fenced when its region's ARM answers)`;
}

/** What a running operation is doing: entries done, what it waits for, fences released, its newest events. */
export function progressLines(
  progress: OperationProgress | undefined,
  waiting?: { says: string; until?: string | undefined },
): string[] {
  const lines: string[] = [];
  if (progress) {
    const working = progress.working
      ? `; ${progress.working} sub-orchestration(s) of the running group at work`
      : '';
    lines.push(
      `progress: ${progress.entriesDone} entr${progress.entriesDone === 1 ? 'y' : 'ies'} done${working}`,
    );
  }
  if (waiting) lines.push(`waiting: ${waiting.says}${waiting.until ? ` (until ${waiting.until})` : ''}`);
  if (progress?.released.length)
    lines.push(`fences released so far (the monitor applies them): ${progress.released.join(', ')}`);
  if (progress?.lastEvents.length) {
    const shown = progress.lastEvents.length;
    lines.push(`timeline (last ${shown} of ${progress.events} events):`);
    for (const e of progress.lastEvents) lines.push(`  ${e.at} ${e.event}`);
  }
  return lines;
}
