/**
 * An error as the audit and the status keep it: the first non-empty line, bounded. Activity failures reach an
 * orchestration as Error objects whose message may carry the activity's stack and server paths.
 */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
