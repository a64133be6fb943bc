/**
 * The structured log records the alerts query (infra/modules/alerts.bicep): a heartbeat per watchdog tick,
 * one record per operator event handed to the outbox, the monitor's restart, and nothing naming a workflow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tickSignal } from '../../src/durable/monitor-instance';
import { MONITOR_SIGNAL, monitorInstanceId } from '../../src/durable/contracts';
import { installEventSink, LOG_EVENTS } from '../../src/telemetry/events';
import { estatePerTest } from '../support/estate';

const estates = estatePerTest();
const MIN = 60_000;
let records: Record<string, unknown>[] = [];
afterEach(() => {
  installEventSink(() => undefined);
  records = [];
});
const capture = () => installEventSink((line) => records.push(JSON.parse(line) as Record<string, unknown>));
const of = (event: string) => records.filter((r) => r.event === event);

describe('log records for the alerts', () => {
  it('a heartbeat per tick; failover started and completed, with outcome, pending fences and RTO', async () => {
    capture();
    const e = await estates.start();
    await e.advance(MIN);
    const beats = of(LOG_EVENTS.heartbeat);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.at(-1)).toMatchObject({
      planId: e.plan.id,
      monitor: 'Running',
      mode: 'monitoring',
      pendingFences: 0,
    });
    expect(typeof beats.at(-1)!.lastCycleAt).toBe('string');
    expect(beats.at(-1)).toMatchObject({ lastProbeOutcome: 'healthy' });
    expect(typeof beats.at(-1)!.lastProbeLatencyMs).toBe('number');

    e.outage('westeurope', { kind: 'down' });
    await e.advance(4 * MIN);
    const events = of(LOG_EVENTS.notification);
    expect(events.map((r) => r.type)).toEqual(
      expect.arrayContaining(['health.degraded', 'failover.started', 'failover.completed']),
    );
    const completed = events.find((r) => r.type === 'failover.completed')!;
    const record = e.operations()[0]!.output!;
    expect(completed).toMatchObject({
      outcome: record.status,
      pendingFences: record.pendingFences.length,
      measuredRtoMs: record.rto.measuredMs,
      blockedActivations: 0,
    });
    expect(of(LOG_EVENTS.heartbeat).at(-1)).toMatchObject({ mode: 'failed-over' });
    expect(of(LOG_EVENTS.heartbeat).at(-1)!.pendingFences).toBe(record.pendingFences.length);
    // Counts and outcomes only: no workflow of the plan is named in any record.
    const text = JSON.stringify(records);
    for (const w of e.plan.workflows) expect(text).not.toContain(`"${w.name}"`);
  });

  it('a monitor restarted after a failure says so once', async () => {
    capture();
    const e = await estates.start();
    await e.advance(MIN);
    e.host.durable.raiseEvent(monitorInstanceId(e.plan.id), MONITOR_SIGNAL, {
      ...tickSignal(e.plan, new Date(e.host.clock.now())),
      policy: null,
      probeIntervalMs: 1,
    });
    await e.host.runUntilIdle();
    await e.advance(MIN);
    expect(of(LOG_EVENTS.monitorRestarted)).toEqual([
      { event: LOG_EVENTS.monitorRestarted, planId: e.plan.id, was: 'Failed', consecutiveFailures: 0 },
    ]);
  });
});
