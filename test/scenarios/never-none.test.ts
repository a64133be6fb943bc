/**
 * Never none, never both, under faults (issue 22): an entry whose region taking over cannot take it is held
 * whole (nothing fenced, nothing stood down), a failback waits for the secondary's protective steps and puts
 * the secondary back when the primary does not take an entry, and both are said at once and in the status.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LogicManagementClient } from '@azure/arm-logic';
import {
  EVENT_TYPES,
  MONITOR_SIGNAL,
  monitorInstanceId,
  type OperationRecord,
  type OperationRequest,
  type Signal,
} from '../../src/durable/contracts';
import { armClientOptionsFor, simulatorCredential } from '../../local/sim/arm';
import type { Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';
import { startApiEstate, type ApiEstate } from '../http/support';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const SECONDARY = 'northeurope';

let current: ApiEstate | undefined;
afterEach(async () => {
  const e = current;
  current = undefined;
  await e?.stop();
});
const start = async () => (current = await startApiEstate());

const stateOf = (e: Estate, region: string, name: string) =>
  e.sim.workflows().find((w) => w.region === region && w.name === name)?.state;
const bodyOf = (body: unknown) =>
  (typeof body === 'string'
    ? JSON.parse(body)
    : Buffer.isBuffer(body)
      ? JSON.parse(body.toString('utf8'))
      : body) as { data: Record<string, any> };
const events = (e: Estate) =>
  e.broker.messages('failover-events').map((m) => ({
    subject: String(m.subject),
    correlationId: String(m.correlationId),
    data: bodyOf(m.body).data,
  }));
/** Deletes a secondary workflow through ARM, as someone outside the control plane would. */
const deleteSecondary = (e: Estate, name: string) =>
  new LogicManagementClient(
    simulatorCredential,
    e.plan.secondary.subscriptionId,
    armClientOptionsFor(e.sim),
  ).workflows.delete(e.plan.secondary.resourceGroup, name);
const stepsOf = (op: OperationRecord, name: string) =>
  entryOf(op, name).steps.map((s) => `${s.action.op}:${s.action.target.label}:${s.status}`);
const records = (e: Estate) =>
  e
    .operations()
    .map((o) => o.output!)
    .filter(Boolean);
const entryOf = (op: OperationRecord, name: string) => op.entries.find((x) => x.entry === name)!;
const request = (
  id: string,
  direction: 'failover' | 'failback',
  extra: Partial<OperationRequest> = {},
): Signal => ({
  kind: 'request-operation',
  id,
  request: {
    direction,
    kind: direction === 'failover' ? 'emergency' : 'planned',
    trigger: 'manual',
    caller: { by: 'oncall@contoso', reason: `${direction} drill` },
    override: [],
    ...(direction === 'failback' ? { force: true } : {}),
    ...extra,
  },
});
const raise = (e: Estate, signal: Signal) =>
  e.host.durable.raiseEvent(monitorInstanceId(e.plan.id), MONITOR_SIGNAL, signal);

async function failedOver(e: Estate): Promise<OperationRecord> {
  await e.advance(5 * MIN);
  e.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
  await e.advance(20 * MIN);
  const [failover] = records(e);
  expect(failover?.status).toBe('succeeded');
  return failover!;
}

describe('never none', () => {
  it('the secondary copy deleted, then the primary fails: the entry is held whole, reported, never fenced later', async () => {
    const e = await start();
    await deleteSecondary(e, 'order-webhook');
    await e.advance(5 * MIN);
    e.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await e.advance(20 * MIN);

    const [op] = records(e);
    expect(op!.status).toBe('completed-with-errors');
    const webhook = entryOf(op!, 'order-webhook');
    expect(webhook.steps).toEqual([]);
    expect(webhook.blocked).toMatch(
      /^held: secondary:order-webhook does not exist, so fencing the primary would leave order-webhook running nowhere \[every-entry-runs\]/,
    );
    // Not fenced: the primary's copy keeps running it, and no fence of it is left for later.
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(op!.pendingFences.map((t) => t.label)).not.toContain('primary:order-webhook');
    // The rest moved.
    expect(stateOf(e, SECONDARY, 'mailbox-poller')).toBe('Enabled');
    expect(stateOf(e, PRIMARY, 'mailbox-poller')).toBe('Disabled');
    // Reported: read-back violation, the notice the moment it was held, the completion, the status.
    expect(op!.readBack.flatMap((r) => r.violations)).toContainEqual(
      expect.objectContaining({ entry: 'order-webhook', rule: 'every-entry-runs' }),
    );
    const said = events(e).filter((m) => m.correlationId === op!.operationId);
    const blocked = said.findIndex((m) => m.subject === EVENT_TYPES.activationBlocked);
    expect(blocked).toBeGreaterThanOrEqual(0);
    expect(said[blocked]!.data.entries).toEqual([
      expect.objectContaining({ entry: 'order-webhook', held: 'every-entry-runs' }),
    ]);
    expect(blocked).toBeLessThan(said.findIndex((m) => m.subject === EVENT_TYPES.failoverCompleted));
    const status = await e.call('GET', 'status');
    const held = [{ entry: 'order-webhook', why: 'held', reason: webhook.blocked }];
    expect(status.body.lastOperation.notMoved).toEqual(held);
    expect(status.body.lastFailover.notMoved).toEqual(held);
    // Not a plain "failed-over": the mode is qualified, and the audit record and completion say it too.
    expect(status.body.modeDetail).toBe('failed-over (partial: order-webhook did not move)');
    expect(status.body.moved).toMatchObject({
      operationId: op!.operationId,
      extent: 'partial',
      notMoved: held,
    });
    expect(op).toMatchObject({ moved: 'partial', notMoved: held });
    const completed = said.find((m) => m.subject === EVENT_TYPES.failoverCompleted)!;
    expect(completed.data).toMatchObject({ moved: 'partial', notMoved: held });

    await e.restore(PRIMARY);
    await e.advance(10 * MIN);
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(checkInvariants(e, { detectedAt: Date.parse(op!.timeline[0]!.at) })).toEqual([]);
  });
});

describe('never none, later', () => {
  it('a fence deferred while the primary was down is not applied once its entry no longer runs in the secondary', async () => {
    const e = await start();
    await e.advance(5 * MIN);
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await e.advance(20 * MIN);
    const [op] = records(e);
    expect(op!.pendingFences.map((t) => t.label)).toEqual(
      expect.arrayContaining(['primary:order-webhook', 'primary:mailbox-poller']),
    );
    // Someone deletes the secondary's webhook while the primary is still down.
    await deleteSecondary(e, 'order-webhook');
    await e.restore(PRIMARY);
    await e.advance(2 * MIN);

    expect(stateOf(e, PRIMARY, 'mailbox-poller')).toBe('Disabled'); // its entry runs in the secondary
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Enabled'); // the only copy left: never fenced
    expect(e.monitor().pendingFences.map((t) => t.label)).toEqual(['primary:order-webhook']);
    const fenced = events(e).find((m) => m.subject === EVENT_TYPES.fenceApplied)!;
    expect(fenced.data.errors).toContainEqual(
      expect.stringMatching(
        /^primary:order-webhook not fenced: workflow "order-webhook" is not enabled in the secondary region, so fencing it would leave order-webhook running nowhere \[every-entry-runs\]/,
      ),
    );
  });
});

describe('failback under faults', () => {
  it('the secondary answering 503: what re-activates the primary waits for the secondary step that protects it', async () => {
    const e = await start();
    const failover = await failedOver(e);
    await e.restore(PRIMARY);
    await e.advance(5 * MIN);
    e.outage(SECONDARY, { kind: 'errors', rate: 1, statuses: [503] });
    raise(e, request('failback-503', 'failback'));
    // A planned failback: the hourly split entry waits for its slot boundary, then the fence budget runs out.
    await e.advance(65 * MIN);
    await e.restore(SECONDARY);
    await e.advance(60 * MIN);

    const back = records(e).find((o) => o.request.direction === 'failback')!;
    expect(back.status).toBe('completed-with-errors');
    expect(stepsOf(back, 'nightly-settlement')).toEqual([
      'set-recurrence:secondary:nightly-settlement:failed',
      'set-recurrence:primary:nightly-settlement:blocked',
      'enable:primary:nightly-settlement:blocked',
    ]);
    expect(stateOf(e, PRIMARY, 'nightly-settlement')).toBe('Disabled');
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Disabled');
    expect(stateOf(e, SECONDARY, 'order-webhook')).toBe('Enabled');
    // No slot ran twice, none was skipped, nothing ran in both regions.
    expect(checkInvariants(e, { detectedAt: Date.parse(failover.timeline[0]!.at) })).toEqual([]);
  }, 180_000);

  it('the primary failing its health check: a forced failback holds every entry and stands nothing down', async () => {
    const e = await start();
    await failedOver(e);
    raise(e, request('failback-sick', 'failback'));
    await e.advance(5 * MIN);

    const back = records(e).find((o) => o.request.direction === 'failback')!;
    expect(back.status).toBe('failed'); // nothing moved: the secondary stays the active region
    expect(e.monitor().state).toMatchObject({ mode: 'failed-over', activeRegion: 'secondary' });
    for (const entry of back.entries) {
      expect(entry.steps).toEqual([]);
      expect(entry.blocked).toMatch(
        /^held: the primary's health check fails .*running nowhere \[every-entry-runs\]/,
      );
    }
    expect(stateOf(e, SECONDARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Disabled');
    // One page for the failback, not one per entry: every held entry, its group and why, in one notice.
    const notices = events(e).filter(
      (m) => m.subject === EVENT_TYPES.activationBlocked && m.correlationId === back.operationId,
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]!.data.entries).toEqual(
      back.entries.map((x) =>
        expect.objectContaining({
          entry: x.entry,
          group: x.group,
          reason: x.blocked,
          held: 'every-entry-runs',
        }),
      ),
    );
    expect(back.entries.length).toBeGreaterThan(1);
    expect(notices[0]!.data.summary).toContain(`${back.entries.length} entries`);
    // The started notice says so too, rather than a bare "0 steps planned".
    const started = events(e).find(
      (m) => m.subject === EVENT_TYPES.failbackStarted && m.correlationId === back.operationId,
    )!;
    expect(started.data.summary).toContain(
      `: 0 steps planned; ${back.entries.length} entries held at planning (${back.entries.map((x) => x.entry).join(', ')})`,
    );
  });

  it('the primary stops taking writes mid-failback: the secondary copy is put back, the entry reported held at once', async () => {
    const e = await start();
    const failover = await failedOver(e);
    await e.restore(PRIMARY);
    await e.advance(5 * MIN);
    raise(e, request('failback-cut', 'failback'));
    // Planned: group 0's split entries wait for their slot boundary; the primary's ARM breaks meanwhile.
    await e.advance(10_000, 5_000);
    const back0 = e.operations().find((o) => o.instanceId.includes('failback'));
    expect(back0?.runtimeStatus).toBe('Running');
    e.outage(PRIMARY, { kind: 'errors', rate: 1 });
    await e.advance(70 * MIN);

    const back = records(e).find((o) => o.request.direction === 'failback')!;
    expect(back.status).toBe('completed-with-errors');
    const webhook = entryOf(back, 'order-webhook');
    expect(stepsOf(back, 'order-webhook')).toEqual([
      'disable:secondary:order-webhook:done',
      'enable:primary:order-webhook:failed',
      'enable:secondary:order-webhook:done',
    ]);
    expect(webhook.blocked).toMatch(
      /^held: primary:order-webhook failed .*; secondary:order-webhook put back as before, so order-webhook keeps running in the secondary \[every-entry-runs\]/,
    );
    expect(stateOf(e, SECONDARY, 'order-webhook')).toBe('Enabled');
    const split = entryOf(back, 'split-report');
    expect(split.blocked).toMatch(/^held: .*secondary:split-report-even put back as before/);
    expect(stateOf(e, SECONDARY, 'split-report-even')).toBe('Enabled');
    expect(stateOf(e, SECONDARY, 'split-report-odd')).toBe('Enabled');
    // Said the moment each was held, long before the failback completed.
    const said = events(e).filter((m) => m.correlationId === back.operationId);
    const held = said
      .filter((m) => m.subject === EVENT_TYPES.activationBlocked)
      .flatMap((m) => m.data.entries);
    expect(held.map((x: { entry: string }) => x.entry).sort()).toEqual(
      expect.arrayContaining(['order-webhook', 'split-report']),
    );
    await e.restore(PRIMARY);
    await e.advance(5 * MIN);
    expect(checkInvariants(e, { detectedAt: Date.parse(failover.timeline[0]!.at) })).toEqual([]);
  }, 180_000);
});
