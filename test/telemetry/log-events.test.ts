/**
 * The structured log records the alerts query (infra/modules/alerts.bicep): a heartbeat per watchdog tick,
 * one record per operator event handed to the outbox, the monitor's restart; a workflow named only in a drift
 * and as the oldest pending fence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tickSignal } from '../../src/durable/monitor-instance';
import { MONITOR_SIGNAL, monitorInstanceId } from '../../src/durable/contracts';
import {
  heartbeatRecord,
  installEventSink,
  LOG_EVENTS,
  notificationRecord,
} from '../../src/telemetry/events';
import type { PendingFence } from '../../src/core/monitor-record';
import { initialMonitorRecord } from '../../src/core/monitor-step';
import { EVENT_TYPES, notificationOf } from '../../src/core/notifications';
import type { InstanceInfo } from '../../src/durable/client';
import { testPolicy } from '../support/plans';
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

describe('records that name a workflow, because a person must act on it', () => {
  const at = '2026-03-02T09:00:00.000Z';
  const fence = (name: string, since?: string): PendingFence => ({
    region: 'primary',
    ref: name,
    key: name,
    label: `primary:${name}`,
    ...(since ? { since } : {}),
  });
  const withFences = (pendingFences: PendingFence[]): InstanceInfo => {
    const record = initialMonitorRecord('plan-a', testPolicy(), 30_000);
    return {
      instanceId: 'dr-monitor-plan-a',
      createdTime: at,
      lastUpdatedTime: at,
      runtimeStatus: 'Running',
      input: {
        ...record,
        state: { ...record.state, mode: 'failed-over', lastFailoverAt: '2026-03-02T08:30:00.000Z' },
        pendingFences,
      },
    };
  };

  it('the heartbeat names the oldest pending fence and since when it is pending', () => {
    const beat = heartbeatRecord(
      'plan-a',
      withFences([
        fence('b', '2026-03-02T08:50:00.000Z'),
        fence('a', '2026-03-02T08:40:00.000Z'),
        fence('c', '2026-03-02T08:55:00.000Z'),
      ]),
      new Date(at),
    );
    expect(beat).toMatchObject({
      pendingFences: 3,
      pendingFencesSince: '2026-03-02T08:40:00.000Z',
      oldestPendingFence: 'primary:a',
    });
    // A record from before per-fence times: pending since the last failover.
    expect(heartbeatRecord('plan-a', withFences([fence('old')]), new Date(at))).toMatchObject({
      pendingFencesSince: '2026-03-02T08:30:00.000Z',
      oldestPendingFence: 'primary:old',
    });
    const none = heartbeatRecord('plan-a', withFences([]), new Date(at));
    expect(none.pendingFences).toBe(0);
    expect(none).not.toHaveProperty('oldestPendingFence');
  });

  it('an estate.drifted record carries the workflow, its region, the rule and the line', () => {
    const data = {
      operationId: 'failover-1',
      entry: 'order-webhook',
      workflow: 'secondary:order-webhook',
      region: 'secondary' as const,
      rule: 'every-entry-runs' as const,
      message: 'secondary order-webhook is Disabled: runs nowhere',
      monitor: {
        mode: 'failed-over' as const,
        activeRegion: 'secondary' as const,
        consecutiveFailures: 0,
        policy: testPolicy(),
      },
    };
    const n = notificationOf(
      EVENT_TYPES.estateDrifted,
      {
        planId: 'plan-a',
        correlationId: 'monitor-plan-a',
        idParts: ['plan-a', 'drift'],
        now: new Date(at),
        regions: undefined,
      },
      data,
    );
    expect(notificationRecord(n)).toEqual({
      event: LOG_EVENTS.notification,
      type: 'estate.drifted',
      planId: 'plan-a',
      correlationId: 'monitor-plan-a',
      at,
      workflow: 'secondary:order-webhook',
      region: 'secondary',
      rule: 'every-entry-runs',
      drift: 'secondary order-webhook is Disabled: runs nowhere',
    });
  });
});
