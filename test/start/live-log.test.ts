/**
 * The live log of `npm start`: lines in the order things happened, each with its own time, and a pending
 * fence region that stays silent named once per probe cycle, not once per failed write.
 */
import { describe, expect, it } from 'vitest';
import type { FunctionsHost } from '../../local/host';
import {
  causalLog,
  formatLogLine,
  loggingControl,
  watchControlPlane,
  type LogLine,
} from '../../local/start/live-log';
import type { LogicAppsControl } from '../../src/adapters/logicapps/port';
import { monitorInstanceId, ORCHESTRATIONS } from '../../src/durable/contracts';

const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s));

/** Watches a stand-in for the in-process host's durable state (read-only, as the live log reads it). */
function watch(durable: { getStatus: (id: string) => unknown; list: () => unknown[] }, everyMs: number) {
  const lines: LogLine[] = [];
  const host = { durable } as unknown as FunctionsHost;
  const stop = watchControlPlane(
    host,
    'p',
    (l) => lines.push(l),
    () => at(30),
    everyMs,
  );
  return { lines, stop };
}

describe('causal live log', () => {
  it('prints what was seen late before what it caused, each line at its own time', () => {
    const printed: LogLine[] = [];
    let clock = at(10).getTime();
    const log = causalLog(
      (l) => printed.push(l),
      () => clock,
    );
    // The ARM writes are seen at once; the operation's request and groups only at the next poll.
    log({ at: at(2), topic: 'action', message: 'enable secondary:a: done' });
    log({ at: at(2), topic: 'action', message: 'enable secondary:b: done' });
    log({ at: at(1), topic: 'operation', message: 'failover-1: failover requested' });
    log({ at: at(3), topic: 'operation', message: 'failover-1: group 1 read back' });
    expect(printed).toEqual([]); // held
    clock = at(20).getTime();
    log.release();
    expect(printed.map(formatLogLine)).toEqual([
      '12:00:01.000 operation failover-1: failover requested',
      '12:00:02.000 action    enable secondary:a: done',
      '12:00:02.000 action    enable secondary:b: done',
      '12:00:03.000 operation failover-1: group 1 read back',
    ]);
    log({ at: at(21), topic: 'stop', message: 'stopping' });
    log.close(); // releases what is held
    expect(printed.at(-1)?.message).toBe('stopping');
  });

  it('gives each operation step the time the operation recorded, not the time the watcher saw it', async () => {
    const timeline = [
      { at: at(1).toISOString(), event: 'failover requested' },
      { at: at(2).toISOString(), event: 'group 1 started' },
      { at: at(4).toISOString(), event: 'group 1 read back' },
    ];
    const { lines, stop } = watch(
      {
        getStatus: () => undefined,
        list: () => [
          {
            instanceId: 'dr-op-failover-1',
            name: ORCHESTRATIONS.operation,
            runtimeStatus: 'Running',
            customStatus: { timeline },
          },
        ],
      },
      10,
    );
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(lines.map((l) => [l.at.toISOString(), l.message])).toEqual(
      timeline.map((t) => [t.at, `failover-1: ${t.event}`]),
    );
  });

  it('names every pending fence once per probe cycle; the same failed write is not repeated', async () => {
    const fences = ['primary:order-webhook', 'primary:mailbox-poller', 'primary:split-report-even'];
    let cycle = 1;
    const { lines, stop } = watch(
      {
        getStatus: (id: string) =>
          id === monitorInstanceId('p')
            ? {
                instanceId: id,
                runtimeStatus: 'Running',
                input: {
                  planId: 'p',
                  state: { mode: 'failed-over', activeRegion: 'secondary', consecutiveFailures: 3 },
                  pendingFences: fences.map((label) => ({ label })),
                  lastProbeCycle: cycle,
                  answers: [],
                },
                customStatus: {
                  planId: 'p',
                  state: { mode: 'failed-over', activeRegion: 'secondary', consecutiveFailures: 3 },
                  pendingFences: fences.map((label) => ({ label })),
                  lastProbeCycle: cycle,
                  answers: [],
                },
              }
            : undefined,
        list: () => [],
      },
      5,
    );
    const tick = () => new Promise((r) => setTimeout(r, 30));
    await tick();
    cycle = 2;
    await tick();
    await tick(); // same cycle: nothing new
    cycle = 3;
    await tick();
    stop();
    const fenceLines = lines.filter((l) => l.message.includes('pending fence'));
    expect(fenceLines).toHaveLength(2);
    expect(fenceLines[0]!.message).toBe(
      `3 pending fence(s), tried this cycle, applied when their region's ARM answers: ${fences.join(', ')}`,
    );

    const refused = new Error('connect ECONNREFUSED');
    const control = loggingControl(
      { setState: () => Promise.reject(refused) } as unknown as LogicAppsControl,
      (l) => lines.push(l),
      () => at(31),
    );
    const target = {
      subscriptionId: 's',
      resourceGroup: 'rg',
      name: 'order-webhook',
      label: 'primary:order-webhook',
    };
    for (let i = 0; i < 3; i++) await control.setState(target, 'Disabled').catch(() => undefined);
    expect(lines.filter((l) => l.topic === 'action')).toHaveLength(1);
  });

  it("names each step's Azure region: the plan's location after the role", async () => {
    const lines: LogLine[] = [];
    const regions = {
      primary: { location: 'westeurope', resourceGroup: 'rg-weu' },
      secondary: { location: 'northeurope', resourceGroup: 'rg-neu' },
    };
    const control = loggingControl(
      { setState: () => Promise.resolve({ changed: true }) } as unknown as LogicAppsControl,
      (l) => lines.push(l),
      () => at(1),
      regions,
    );
    const target = (region: string, rg: string) => ({
      subscriptionId: 's',
      resourceGroup: rg,
      name: 'order-webhook',
      label: `${region}:order-webhook`,
    });
    await control.setState(target('primary', 'rg-weu'), 'Disabled');
    await control.setState(target('secondary', 'rg-neu'), 'Enabled');
    expect(lines.map((l) => l.message)).toEqual([
      'disable primary:order-webhook in westeurope: done',
      'enable secondary:order-webhook in northeurope: done',
    ]);
  });
});
