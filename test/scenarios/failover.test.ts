/**
 * Failover scenarios end to end: the real functions on the in-process host, the ARM simulator, the AMQP broker.
 * Every scenario ends with the invariant checker over the simulator's own logs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogicManagementClient } from '@azure/arm-logic';
import { ACTIVITIES, EVENT_TYPES, type OperationRecord } from '../../src/durable/contracts';
import { armClientOptionsFor, simulatorCredential } from '../../local/sim/arm';
import { advanceUntil, estatePerTest, type Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';
import { eventOf } from '../support/notifications';

const MIN = 60_000;
const estates = estatePerTest();
let estate: Estate | undefined;

const PRIMARY = 'westeurope';
const SECONDARY = 'northeurope';
const topicMessages = (e: Estate) => e.broker.messages('failover-events');

function onlyOperation(e: Estate): OperationRecord {
  const ops = e.operations();
  expect(ops.map((o) => o.runtimeStatus)).toEqual(['Completed']);
  return ops[0]!.output!;
}
const detectedAt = (op: OperationRecord) => Date.parse(op.timeline[0]!.at);
const stepStatuses = (op: OperationRecord) =>
  op.entries.flatMap((e) => e.steps.map((s) => `${s.action.op}:${s.action.target.label}:${s.status}`));
const stateOf = (e: Estate, region: string, name: string) =>
  e.sim.workflows().find((w) => w.region === region && w.name === name)?.state;
/** Workflows whose state changed more than once in `changes`, with their transitions. */
const changedMoreThanOnce = (changes: ReturnType<Estate['sim']['stateChanges']>) => {
  const by = new Map<string, string[]>();
  for (const c of changes)
    by.set(`${c.region}:${c.workflowName}`, [
      ...(by.get(`${c.region}:${c.workflowName}`) ?? []),
      `${c.from}->${c.to}`,
    ]);
  return [...by].filter(([, t]) => t.length > 1);
};
/** Active-active entries first: the entries that must not overlap run in later groups. */
const activeActiveFirst = (plan: Estate['plan']): Estate['plan'] => ({
  ...plan,
  workflows: plan.workflows.map((w) => ({
    ...w,
    group: w.role === 'active-active' ? 0 : (w.group ?? 0) + 1,
  })),
});
const MUST_NOT_OVERLAP = [
  'split-report',
  'nightly-settlement',
  'order-webhook',
  'mailbox-poller',
  'invoice-sync',
];

describe('failover scenarios', () => {
  it('primary region fully down: secondary takes over, fences wait, and are applied when the region returns', async () => {
    estate = await estates.start();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await estate.advance(30 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(op.request).toMatchObject({ direction: 'failover', trigger: 'automatic', kind: 'emergency' });
    expect(op.pendingFences.map((t) => t.label)).toContain('primary:order-webhook');
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Enabled');
    expect(estate.monitor().state).toMatchObject({ mode: 'failed-over', activeRegion: 'secondary' });
    const types = topicMessages(estate).map((m) => m.subject);
    expect(types).toEqual(
      expect.arrayContaining([
        EVENT_TYPES.healthDegraded,
        EVENT_TYPES.failoverStarted,
        EVENT_TYPES.failoverCompleted,
      ]),
    );
    const completed = topicMessages(estate).find((m) => m.subject === EVENT_TYPES.failoverCompleted)!;
    expect(completed.correlationId).toBe(op.operationId);
    // Automatic: measured from the first failed probe; predicted = 3 failures x 30 s + 3 groups' read-backs
    // + the worst-case queue hops of the actuation (2 + 8 per group, 2 s each: host.json).
    expect(op.rto).toMatchObject({
      basis: 'first-failed-probe',
      from: op.evidence!.firstFailureAt,
      to: op.readBack.at(-1)!.at,
      predictedDetectionMs: 90_000 + 5 * 2_000,
      predictedActuationMs: 3_000 + 26 * 2_000,
      predictedMs: 90_000 + 5 * 2_000 + 3_000 + 26 * 2_000,
    });
    expect(op.rto.measuredMs).toBe(Date.parse(op.rto.to!) - Date.parse(op.rto.from!));
    expect(eventOf(completed, EVENT_TYPES.failoverCompleted)).toMatchObject({
      specversion: '1.0',
      type: EVENT_TYPES.failoverCompleted,
      data: { outcome: 'succeeded', evidence: { consecutiveFailures: 3 } },
    });

    await estate.restore(PRIMARY);
    await estate.advance(2 * MIN);
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Disabled');
    expect(stateOf(estate, PRIMARY, 'split-report-even')).toBe('Disabled');
    expect(estate.monitor().pendingFences).toEqual([]);
    expect(topicMessages(estate).map((m) => m.subject)).toContain(EVENT_TYPES.fenceApplied);
    await estate.advance(60 * MIN);
    expect(estate.operations()).toHaveLength(1); // primary workflows are never re-enabled except by a failback
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('primary ARM up but health failing: every fence is applied before the activation it protects', async () => {
    estate = await estates.start();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(30 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(op.pendingFences).toEqual([]);
    const changes = estate.sim.stateChanges().filter((c) => c.cause !== 'seed' && c.cause !== 'create');
    for (const name of ['order-webhook', 'mailbox-poller']) {
      const fence = changes.find(
        (c) => c.workflowName === name && c.region === PRIMARY && c.to === 'Disabled',
      )!;
      const activate = changes.find(
        (c) => c.workflowName === name && c.region === 'northeurope' && c.to === 'Enabled',
      )!;
      expect(fence.seq).toBeLessThan(activate.seq);
    }
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('30 % transient ARM faults in both regions: fences and activations retried, nothing lost, nothing doubled', async () => {
    estate = await estates.start({ faultSeed: 7 });
    await estate.advance(5 * MIN);
    estate.outage(SECONDARY, { kind: 'errors', rate: 0.3 });
    estate.outage(PRIMARY, { kind: 'errors', rate: 0.3 });
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(30 * MIN, 5_000);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    const faulted = (region: string, method: string) =>
      estate!.sim
        .requestLog()
        .filter(
          (r) =>
            r.listener === 'arm' &&
            r.region === region &&
            r.method === method &&
            (r.status === 500 || r.status === 503),
        );
    // Fences (primary writes) and activations (secondary writes) both met faults, and were retried to the end.
    expect(faulted(PRIMARY, 'POST').length).toBeGreaterThan(0);
    expect(faulted(SECONDARY, 'POST').length + faulted(SECONDARY, 'PUT').length).toBeGreaterThan(0);
    expect(op.pendingFences).toEqual([]);
    expect(stepStatuses(op).filter((s) => !s.endsWith(':done') && !s.endsWith(':noop'))).toEqual([]);
    for (const name of ['order-webhook', 'mailbox-poller', 'split-report-even'])
      expect(stateOf(estate, PRIMARY, name)).toBe('Disabled');
    // Each workflow changed state at most once: a retried write never undid or repeated another.
    const changes = estate.sim.stateChanges().filter((c) => c.cause !== 'seed' && c.cause !== 'create');
    expect(changedMoreThanOnce(changes)).toEqual([]);
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('throttling: 429s are retried and the failover completes', async () => {
    estate = await estates.start();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    // ARM throttles the region taking over: every request answers 429 with Retry-After: 1.
    estate.outage(SECONDARY, { kind: 'throttled', retryAfterSeconds: 1 });
    await advanceUntil(estate, () => estate!.operations().length > 0, 5 * MIN);
    await estate.advance(20_000, 5_000);
    estate.sim.restore(SECONDARY, 'throttled');
    await estate.advance(30 * MIN, 5_000);

    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    const log = estate.sim.requestLog().filter((r) => r.listener === 'arm' && r.region === SECONDARY);
    const throttled = log.filter((r) => r.status === 429);
    // Writes were throttled, and the same writes went through once the throttling ended.
    const throttledWrites = new Set(throttled.filter((r) => r.method !== 'GET').map((r) => r.path));
    expect(throttledWrites.size).toBeGreaterThan(0);
    for (const path of throttledWrites) {
      const last = throttled.filter((r) => r.path === path).at(-1)!.seq;
      expect(
        log.some((r) => r.path === path && r.seq > last && r.status! < 300),
        path,
      ).toBe(true);
    }
    expect(stepStatuses(op).filter((s) => s.endsWith(':failed'))).toEqual([]);
    expect(stateOf(estate, SECONDARY, 'order-webhook')).toBe('Enabled');
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('the primary answers again mid-failover: entries whose fence was deferred are held, not activated beside it', async () => {
    estate = await estates.start({ planPatch: activeActiveFirst });
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    // The secondary's ARM fails every request for a while: the first group retries on durable timers.
    estate.outage(SECONDARY, { kind: 'errors', rate: 1 });
    await advanceUntil(estate, () => estate!.operations().length > 0, 5 * MIN);
    await estate.advance(40_000, 5_000);
    await estate.restore(PRIMARY); // its ARM answers again: nothing there was fenced
    await estate.advance(40_000, 5_000); // longer than the grace the checker gives a returning region
    await estate.restore(SECONDARY);
    await estate.advance(30 * MIN, 5_000);

    const op = onlyOperation(estate);
    expect(op.status).toBe('completed-with-errors');
    expect(op.plan!.groups[1]!.entries[0]!.steps[0]).toMatchObject({ op: 'pending-fence' });
    for (const name of MUST_NOT_OVERLAP) {
      const entry = op.entries.find((e) => e.entry === name)!;
      expect(entry.blocked).toMatch(
        /answered again and is Enabled, but this operation deferred its fence.*both regions.*override \["no-dual-active"\]/,
      );
      expect(new Set(entry.steps.map((s) => s.status))).toEqual(new Set(['blocked']));
    }
    for (const name of ['queue-consumer', 'ledger-fifo'])
      expect(op.entries.find((e) => e.entry === name)!.steps.map((s) => s.status)).toEqual([
        'pending-fence',
        'done',
      ]);
    // orders-api also switches its router (APIM) to the secondary once that runs.
    expect(op.entries.find((e) => e.entry === 'orders-api')!.steps.map((s) => s.status)).toEqual([
      'pending-fence',
      'done',
      'done',
    ]);
    // Checked just before each group: the first from the planning reads, later ones from ARM.
    expect(op.checks.map((c) => [c.group, c.source])).toEqual([
      [0, 'plan'],
      [1, 'live'],
      [2, 'live'],
      [3, 'live'],
    ]);
    expect(op.checks[1]!.read).toEqual(expect.arrayContaining(['primary:split-report-even']));
    expect(op.checks.flatMap((c) => c.violations.map((v) => v.entry)).sort()).toEqual(
      [...MUST_NOT_OVERLAP].sort(),
    );
    expect(op.timeline.map((t) => t.event)).toContain(
      'group 2 checked: 2 deferred target(s) read, 2 violation(s)',
    );
    // Held entries stay where they run, and leave no fence behind that would stop them running anywhere.
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(estate, SECONDARY, 'order-webhook')).toBe('Disabled');
    expect(op.pendingFences.map((t) => t.label).sort()).toEqual([
      'primary:ledger-fifo',
      'primary:orders-api',
      'primary:queue-consumer',
    ]);
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('the same, with the break-glass override: the entries run, the override is recorded and notified', async () => {
    estate = await estates.start({ planPatch: activeActiveFirst });
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    estate.outage(SECONDARY, { kind: 'errors', rate: 1 });
    estate.requestOperation('break-glass-early', {
      direction: 'failover',
      kind: 'emergency',
      trigger: 'manual',
      caller: { by: 'oncall@contoso', reason: 'leave West Europe now, whatever runs there' },
      override: ['no-dual-active'],
    });
    await estate.advance(40_000, 5_000);
    await estate.restore(PRIMARY);
    await estate.advance(40_000, 5_000);
    await estate.restore(SECONDARY);
    await estate.advance(30 * MIN, 5_000);

    const op = onlyOperation(estate);
    expect(op.request.caller.by).toBe('oncall@contoso');
    const webhook = op.entries.find((e) => e.entry === 'order-webhook')!;
    expect(webhook.blocked).toBeUndefined();
    expect(webhook.overrideUsed).toMatch(
      /^no-dual-active: ran order-webhook although primary:order-webhook answered again and is Enabled/,
    );
    expect(webhook.steps.map((s) => s.status)).toEqual(['pending-fence', 'done']);
    const accepted = topicMessages(estate).find(
      (m) => m.subject === EVENT_TYPES.overrideAccepted && m.correlationId === op.operationId,
    )!;
    expect(eventOf(accepted, EVENT_TYPES.overrideAccepted).data.overrides).toEqual(
      expect.arrayContaining([expect.stringMatching(/^order-webhook: no-dual-active: ran order-webhook/)]),
    );
    // The deferred fences were kept, and the monitor applied them once the operation was over.
    expect(stateOf(estate, SECONDARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Disabled');
    expect(estate.monitor().pendingFences).toEqual([]);
  });

  it('one secondary workflow missing: its entry held whole (no fence left pending), the others done, and notified', async () => {
    estate = await estates.start();
    const client = new LogicManagementClient(
      simulatorCredential,
      estate.plan.secondary.subscriptionId,
      armClientOptionsFor(estate.sim),
    );
    await client.workflows.delete(estate.plan.secondary.resourceGroup, 'mailbox-poller');
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await estate.advance(30 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('completed-with-errors');
    // Never none: nothing of the entry is planned, not even the fence the primary's silence would defer.
    const poller = op.entries.find((e) => e.entry === 'mailbox-poller')!;
    expect(poller.steps).toEqual([]);
    expect(poller.blocked).toMatch(/^held: secondary:mailbox-poller does not exist/);
    expect(op.pendingFences.map((t) => t.label)).not.toContain('primary:mailbox-poller');
    expect(stepStatuses(op)).toContain('enable:secondary:order-webhook:done');
    const completed = topicMessages(estate).find((m) => m.subject === EVENT_TYPES.failoverCompleted)!;
    expect(eventOf(completed, EVENT_TYPES.failoverCompleted).data.outcome).toBe('completed-with-errors');
    expect(eventOf(completed, EVENT_TYPES.failoverCompleted).data.results).toContainEqual(
      expect.objectContaining({ entry: 'mailbox-poller', blocked: poller.blocked }),
    );
    // When the primary returns, its copy keeps running the entry: no fence of it is ever applied.
    await estate.restore(PRIMARY);
    await estate.advance(5 * MIN);
    expect(stateOf(estate, PRIMARY, 'mailbox-poller')).toBe('Enabled');
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Disabled');
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('host restarts in the middle of the fan-out: no action lost, none doubled, no duplicate event past dedup', async () => {
    // The host dies twice right after a side effect, before its result is recorded: once after the
    // "started" event went to Service Bus, once after ARM enabled the secondary webhook.
    const crashes: string[] = [];
    const crashPoint = ({ name, input }: { name: string; input: unknown }) => {
      type Action = { op: string; target: { label: string } };
      const i = input as { type?: string; action?: Action; actions?: Action[] };
      if (name === ACTIVITIES.sendNotification && i.type === EVENT_TYPES.failoverStarted)
        return 'started sent';
      // Plain enables are applied in a batch (applyActions); entries with timers, one by one (applyAction).
      const enables =
        name === ACTIVITIES.applyAction ? [i.action] : name === ACTIVITIES.applyActions ? i.actions : [];
      return enables?.some((a) => a?.op === 'enable' && a.target.label === 'secondary:order-webhook')
        ? 'webhook enabled'
        : undefined;
    };
    estate = await estates.start({
      storeDir: mkdtempSync(join(tmpdir(), 'dr-store-')),
      crashAfterActivity: (activity) => {
        const point = crashPoint(activity);
        if (!point || crashes.includes(point)) return false;
        crashes.push(point);
        return true;
      },
    });
    await estate.advance(5 * MIN);
    // A planned switchover: split entries wait for their slot boundary (durable timers) inside the fan-out.
    estate.requestOperation('switchover-1', {
      direction: 'failover',
      kind: 'planned',
      trigger: 'manual',
      caller: { by: 'ops@contoso', reason: 'region evacuation drill' },
      override: [],
    });
    await advanceUntil(estate, () => estate!.host.crashed, 5 * MIN);
    expect(crashes).toEqual(['started sent']);
    await estate.restartHost();
    await advanceUntil(estate, () => estate!.host.crashed, 90 * MIN, 30_000);
    expect(crashes).toEqual(['started sent', 'webhook enabled']);
    await estate.restartHost();
    await estate.advance(90 * MIN);

    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(stepStatuses(op).filter((s) => !s.endsWith(':done') && !s.endsWith(':noop'))).toEqual([]);
    // The lost enable ran again (a second request to ARM), yet every workflow changed state at most once.
    const enables = estate.sim
      .requestLog()
      .filter(
        (r) =>
          r.region === SECONDARY &&
          r.method === 'POST' &&
          /\/workflows\/order-webhook\/enable\b/i.test(r.path),
      );
    expect(enables).toHaveLength(2);
    const changes = estate.sim.stateChanges().filter((c) => c.cause !== 'seed' && c.cause !== 'create');
    expect(changedMoreThanOnce(changes)).toEqual([]);
    expect(stateOf(estate, SECONDARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Disabled');
    // The lost "started" was sent again with the same messageId and dropped by duplicate detection.
    expect(estate.broker.stats().duplicatesDropped).toBeGreaterThan(0);
    const perEvent = new Map<string, number>();
    for (const m of topicMessages(estate)) {
      const key = `${String(m.correlationId)} ${String(m.subject)}`;
      perEvent.set(key, (perEvent.get(key) ?? 0) + 1);
    }
    expect([...perEvent].filter(([, n]) => n > 1)).toEqual([]);
    expect(perEvent.get(`${op.operationId} ${EVENT_TYPES.failoverStarted}`)).toBe(1);
    expect(perEvent.get(`${op.operationId} ${EVENT_TYPES.failoverCompleted}`)).toBe(1);
    // A manual switchover with a healthy primary: measured from the request, predicted without detection.
    expect(op.rto).toMatchObject({ basis: 'request', from: op.timeline[0]!.at });
    expect(op.rto.predictedDetectionMs).toBeUndefined();
    expect(op.rto.predictedActuationMs).toBe(op.rto.predictedMs);
    expect(op.rto.measuredMs).toBe(Date.parse(op.rto.to!) - Date.parse(op.rto.from!));
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('a manual failover racing the automatic one: exactly one failover', async () => {
    estate = await estates.start();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(MIN); // two failures: the next probe reaches the threshold
    estate.requestOperation('manual-1', {
      direction: 'failover',
      kind: 'emergency',
      trigger: 'manual',
      caller: { by: 'ops@contoso', reason: 'primary looks sick' },
      override: [],
    });
    await estate.advance(30 * MIN);
    expect(estate.operations()).toHaveLength(1);
    const answer = estate.monitor().answers.find((a) => a.id === 'manual-1')!;
    const op = onlyOperation(estate);
    // Whichever reached the monitor first won; the other was answered, not started.
    if (answer.status === 'accepted') expect(op.request.trigger).toBe('manual');
    else {
      expect(op.request.trigger).toBe('automatic');
      expect(['conflict', 'refused']).toContain(answer.status);
    }
    expect(checkInvariants(estate, { detectedAt: detectedAt(onlyOperation(estate)) })).toEqual([]);
  });

  it('failback after recovery: split schedules restored at a slot boundary, no slot twice or skipped', async () => {
    estate = await estates.start();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(20 * MIN);
    const failover = onlyOperation(estate);
    await estate.restore(PRIMARY);
    await estate.advance(5 * MIN); // recoveryThreshold 5 healthy probes
    estate.requestOperation('failback-1', {
      direction: 'failback',
      kind: 'planned',
      trigger: 'manual',
      caller: { by: 'ops@contoso', reason: 'primary healthy again' },
      override: [],
    });
    await estate.advance(2 * 60 * MIN, 10_000);
    expect(estate.monitor().answers.find((a) => a.id === 'failback-1')?.status).toBe('accepted');
    const back = estate.operations().find((o) => o.output?.request.direction === 'failback')!.output!;
    expect(back.status).toBe('succeeded');
    // A failback has no failed probe behind it: measured from the request, predicted from the plan alone
    // (mostly the wait for the split entries' next slot boundary).
    expect(back.rto).toMatchObject({ basis: 'request', from: back.timeline[0]!.at });
    expect(back.rto.predictedDetectionMs).toBeUndefined();
    expect(back.rto.predictedMs).toBe(back.rto.predictedActuationMs);
    expect(back.rto.predictedMs).toBeGreaterThan(3_000);
    expect(back.rto.measuredMs).toBe(Date.parse(back.rto.to!) - Date.parse(back.rto.from!));
    expect(estate.monitor().state).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Disabled');
    expect(stateOf(estate, 'northeurope', 'split-report-even')).toBe('Disabled');
    expect(checkInvariants(estate, { detectedAt: detectedAt(failover) })).toEqual([]);
  });

  it('a fence that keeps failing blocks the activation it protects, until an operator overrides (recorded)', async () => {
    estate = await estates.start();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    estate.outage(PRIMARY, { kind: 'errors', rate: 1 }); // ARM answers, but every write fails
    await estate.advance(30 * MIN, 5_000);
    const op = onlyOperation(estate);
    expect(op.status).toBe('completed-with-errors');
    const webhook = op.entries.find((e) => e.entry === 'order-webhook')!;
    expect(webhook.steps.map((s) => s.status)).toEqual(['failed', 'blocked']);
    expect(webhook.blocked).toMatch(/could run in both regions.*override \["no-dual-active"\]/);
    expect(op.entries.find((e) => e.entry === 'orders-api')!.steps.map((s) => s.status)).toEqual([
      'failed',
      'noop',
      'done', // its router now sends calls to the secondary, which runs
    ]); // active-active: never blocked
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Disabled');

    // The operator decides the primary is gone for good and breaks the glass.
    estate.requestOperation('break-glass', {
      direction: 'failover',
      kind: 'emergency',
      trigger: 'manual',
      caller: { by: 'oncall@contoso', reason: 'primary ARM broken, accept the risk' },
      override: ['no-dual-active'],
    });
    await estate.advance(20 * MIN, 5_000);
    const second = estate
      .operations()
      .map((o) => o.output!)
      .find((o) => o.request.caller.by === 'oncall@contoso')!;
    expect(second.entries.find((e) => e.entry === 'order-webhook')!.overrideUsed).toMatch(
      /^no-dual-active: activated secondary:order-webhook/,
    );
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Enabled');
    expect(
      topicMessages(estate).some(
        (m) => m.subject === EVENT_TYPES.overrideAccepted && m.correlationId === second.operationId,
      ),
    ).toBe(true);
  });

  it('the checker itself catches a passive twin left enabled (a double-run) and dual-active workflows', async () => {
    estate = await estates.start();
    const client = new LogicManagementClient(
      simulatorCredential,
      estate.plan.secondary.subscriptionId,
      armClientOptionsFor(estate.sim),
    );
    await estate.advance(5 * MIN);
    await client.workflows.enable(estate.plan.secondary.resourceGroup, 'split-report-even');
    await client.workflows.enable(estate.plan.secondary.resourceGroup, 'order-webhook');
    await estate.advance(30 * MIN);
    const problems = checkInvariants(estate, { detectedAt: Date.parse('2026-03-02T08:00:00Z') });
    expect(problems.some((p) => /split-report: slot .* ran 2 times/.test(p))).toBe(true);
    expect(problems.some((p) => /order-webhook.*enabled in both regions/.test(p))).toBe(true);
  });
});
