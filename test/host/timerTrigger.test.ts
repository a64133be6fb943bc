import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFunctionsHost, type FunctionsHost } from '../../local/host';
import { resetCounters, timerRuns } from '../fixtures/functions-app/counters';

const file = path.resolve(__dirname, '../fixtures/functions-app/timerTrigger.ts');
const MINUTE = 60 * 1000;
const NEVER = '0001-01-01T00:00:00.000Z';
const hosts: FunctionsHost[] = [];
let storeDir: string;

beforeEach(() => {
  resetCounters();
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inproc-timer-'));
});
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  fs.rmSync(storeDir, { recursive: true, force: true });
});

async function start(startTime: string): Promise<FunctionsHost> {
  const h = await startFunctionsHost({
    files: [file],
    settings: { TICK_SCHEDULE: '0 */5 * * * *' },
    storeDir,
    startTime,
  });
  hosts.push(h);
  return h;
}

describe('timer triggers', () => {
  test('fire on their NCRONTAB schedule on virtual time, with the schedule status the host reports', async () => {
    const h = await start('2025-03-01T00:01:00Z');
    await h.clock.advanceBy(4 * MINUTE - 1);
    expect(timerRuns).toEqual([]);
    await h.clock.advanceBy(1);
    expect(timerRuns).toEqual([{ isPastDue: false, last: NEVER, next: '2025-03-01T00:05:00.000Z' }]);
    await h.clock.advanceBy(10 * MINUTE);
    expect(timerRuns.slice(1)).toEqual([
      { isPastDue: false, last: '2025-03-01T00:05:00.000Z', next: '2025-03-01T00:10:00.000Z' },
      { isPastDue: false, last: '2025-03-01T00:10:00.000Z', next: '2025-03-01T00:15:00.000Z' },
    ]);
    expect(h.stats().executionsByFunction.tick).toBe(3);
  });

  test('an occurrence missed while no host ran fires at start-up with isPastDue, then the schedule resumes', async () => {
    const first = await start('2025-03-01T00:01:00Z');
    await first.clock.advanceBy(5 * MINUTE);
    expect(timerRuns).toHaveLength(1);
    await first.stop();

    const second = await start('2025-03-01T00:31:00Z');
    await second.runUntilIdle();
    expect(timerRuns[1]).toEqual({
      isPastDue: true,
      last: '2025-03-01T00:05:00.000Z',
      next: '2025-03-01T00:10:00.000Z',
    });
    await second.clock.advanceBy(4 * MINUTE);
    expect(timerRuns[2]).toEqual({
      isPastDue: false,
      last: '2025-03-01T00:10:00.000Z',
      next: '2025-03-01T00:35:00.000Z',
    });
    expect(timerRuns).toHaveLength(3);
  });

  test('invokeTimer runs the function now, not past due', async () => {
    const h = await start('2025-03-01T00:01:00Z');
    await h.invokeTimer('tick');
    expect(timerRuns).toEqual([{ isPastDue: false, last: NEVER, next: '2025-03-01T00:05:00.000Z' }]);
    await expect(h.invokeTimer('nope')).rejects.toThrow(/No timer trigger function named 'nope'/);
  });
});
