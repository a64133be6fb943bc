/**
 * Estate drift end to end: the real functions on the in-process host, the ARM simulator, the AMQP broker.
 * Failed over, someone disables the secondary's webhook and enables the primary's mailbox poller through ARM;
 * the monitor's drift check (every 5 probe cycles by default) names both, once, and says when they are fixed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LogicManagementClient } from '@azure/arm-logic';
import { EVENT_TYPES } from '../../src/durable/contracts';
import { armClientOptionsFor, simulatorCredential } from '../../local/sim/arm';
import type { Estate } from '../support/estate';
import { startApiEstate, type ApiEstate } from '../http/support';
import { eventOf } from '../support/notifications';
import { installEventSink, LOG_EVENTS } from '../../src/telemetry/events';

const MIN = 60_000;
const CYCLE = 30_000;
let records: Record<string, unknown>[] = [];
let running: ApiEstate | undefined;
afterEach(async () => {
  installEventSink(() => undefined);
  records = [];
  await running?.stop();
  running = undefined;
});

const drifts = (e: Estate, type: typeof EVENT_TYPES.estateDrifted | typeof EVENT_TYPES.driftCleared) =>
  e.broker
    .messages('failover-events')
    .filter((m) => m.subject === type)
    .map((m) => eventOf(m, type).data);

describe('estate drift while failed over', () => {
  it('a disabled secondary webhook and an enabled primary poller are each named once, then cleared', async () => {
    installEventSink((line) => records.push(JSON.parse(line) as Record<string, unknown>));
    const estate = (running = await startApiEstate());
    await estate.advance(2 * MIN);
    estate.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await estate.advance(10 * MIN);
    expect(estate.operations().map((o) => o.output?.status)).toEqual(['succeeded']);
    expect(estate.monitor().state.mode).toBe('failed-over');
    // The checks so far found the estate as the failover left it.
    expect(drifts(estate, EVENT_TYPES.estateDrifted)).toEqual([]);

    const { primary, secondary } = estate.plan;
    const arm = new LogicManagementClient(
      simulatorCredential,
      secondary.subscriptionId,
      armClientOptionsFor(estate.sim),
    );
    await arm.workflows.disable(secondary.resourceGroup, 'order-webhook');
    await arm.workflows.enable(primary.resourceGroup, 'mailbox-poller');

    // Within one check period (5 probe cycles) and one cycle for the notices to be delivered.
    await estate.advance(6 * CYCLE, 5_000);
    const raised = drifts(estate, EVENT_TYPES.estateDrifted);
    expect(raised.map((d) => d.message).sort()).toEqual([
      'primary mailbox-poller is Enabled: runs in both regions',
      'secondary order-webhook is Disabled: runs nowhere',
    ]);
    expect(raised.find((d) => d.entry === 'order-webhook')).toMatchObject({
      workflow: 'secondary:order-webhook',
      region: 'secondary',
      rule: 'every-entry-runs',
      operationId: estate.operations()[0]!.output!.operationId,
    });
    expect(raised.find((d) => d.entry === 'mailbox-poller')).toMatchObject({
      workflow: 'primary:mailbox-poller',
      region: 'primary',
      rule: 'no-dual-active',
    });
    expect(
      estate
        .monitor()
        .drift?.map((d) => d.workflow)
        .sort(),
    ).toEqual(['primary:mailbox-poller', 'secondary:order-webhook']);
    // GET /api/status (and so `dr status`) lists them.
    const status = await estate.call('GET', 'status');
    expect(status.status).toBe(200);
    expect((status.body as { drift: string[] }).drift.sort()).toEqual(raised.map((d) => d.message).sort());

    // The structured log records the estate-drifted alert queries.
    const logged = records.filter((r) => r.event === LOG_EVENTS.notification && r.type === 'estate.drifted');
    expect(logged.map((r) => [r.workflow, r.region, r.rule]).sort()).toEqual([
      ['primary:mailbox-poller', 'primary', 'no-dual-active'],
      ['secondary:order-webhook', 'secondary', 'every-entry-runs'],
    ]);

    // Standing drift is not said again.
    await estate.advance(10 * CYCLE, 5_000);
    expect(drifts(estate, EVENT_TYPES.estateDrifted)).toHaveLength(2);

    await arm.workflows.enable(secondary.resourceGroup, 'order-webhook');
    await arm.workflows.disable(primary.resourceGroup, 'mailbox-poller');
    await estate.advance(6 * CYCLE, 5_000);
    expect(
      drifts(estate, EVENT_TYPES.driftCleared)
        .map((d) => d.workflow)
        .sort(),
    ).toEqual(['primary:mailbox-poller', 'secondary:order-webhook']);
    expect(drifts(estate, EVENT_TYPES.estateDrifted)).toHaveLength(2);
    expect(estate.monitor().drift).toEqual([]);
    expect(((await estate.call('GET', 'status')).body as { drift: string[] }).drift).toEqual([]);
  });
});
