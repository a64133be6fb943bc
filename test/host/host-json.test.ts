/**
 * host.json as the Durable extension reads it: an idle task hub queue is polled at most
 * maxQueuePollingInterval apart (the extension's default is 30 s per hop), and the predicted RTO counts
 * exactly that interval per queue hop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUEUE_POLL_MAX_MS } from '../../src/core/actuation';

const hostJson = JSON.parse(readFileSync(join(__dirname, '../../host.json'), 'utf8')) as {
  extensions?: { durableTask?: { storageProvider?: { maxQueuePollingInterval?: string } } };
};

/** A .NET TimeSpan `hh:mm:ss[.fff]` in milliseconds. */
function timeSpanMs(text: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?$/.exec(text);
  if (!m) throw new Error(`${text} is not a TimeSpan hh:mm:ss`);
  return (
    ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Math.round(Number(m[4] ?? 0) * 1000)
  );
}

describe('host.json: the Azure Storage provider polls idle queues often enough for a DR tool', () => {
  it('sets maxQueuePollingInterval to the hop delay the RTO prediction assumes, well under the 30 s default', () => {
    const interval = hostJson.extensions?.durableTask?.storageProvider?.maxQueuePollingInterval;
    expect(interval, 'extensions.durableTask.storageProvider.maxQueuePollingInterval').toBeDefined();
    const ms = timeSpanMs(interval!);
    expect(ms).toBe(QUEUE_POLL_MAX_MS);
    expect(ms).toBeLessThanOrEqual(5_000);
    // Below a second the idle polling cost grows with no RTO to gain against probe intervals of 30 s and more.
    expect(ms).toBeGreaterThanOrEqual(1_000);
  });
});
