/**
 * Operating the control plane over HTTP, end to end: the real functions in the in-process host on virtual
 * time, the ARM simulator and the Service Bus broker. Manual failover and failback through the monitor,
 * idempotency, conflicts and refusals, dry runs, pause/resume, status after an outage, history paging.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/durable/contracts';
import { auditLines, inFuture, KEY, MIN, principal, startApiEstate, type ApiEstate } from './support';
import { eventOf } from '../support/notifications';
import type { EventType } from '../../src/core/notifications';
import { renderStatus } from '../../src/cli/commands/status';
import { renderOperation } from '../../src/cli/commands/operation';

let estate: ApiEstate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

const TOPIC = 'failover-events';
// Notifications go through the outbox: delivered by their own orchestrations once the host has run them.
const events = async (e: ApiEstate, type: EventType) => {
  await e.host.runUntilIdle();
  return e.broker.messages(TOPIC).filter((m) => (m.body as { type?: string }).type === type);
};

describe('manual failover and failback over HTTP', () => {
  it('idempotent, exclusive, followed through status, operations/{id} and history, then refused when done', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);

    // A planned failover waits for the split entries' next slot boundary (08:30), so it stays running a while.
    const first = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'planned' },
      idempotencyKey: 'drill-2026-03-02',
    });
    expect(first.status).toBe(202);
    const id: string = first.body.operationId;
    expect(first.headers.get('location')).toBe(`/api/operations/${id}`);
    expect(first.body).toEqual({ operationId: id, status: 'accepted', location: `/api/operations/${id}` });

    // The same key again: the same answer, and still exactly one operation.
    const again = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'planned' },
      idempotencyKey: 'drill-2026-03-02',
    });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(e.operations()).toHaveLength(1);
    expect(
      auditLines(e.logs)
        .filter((a) => a.idempotencyKey === 'drill-2026-03-02')
        .map((a) => a.replayed),
    ).toEqual([false, true]);

    // The same key for a different request: refused, not answered with the first request's answer.
    const reused = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'emergency' },
      idempotencyKey: 'drill-2026-03-02',
    });
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({
      error: expect.stringContaining('already used for a different request'),
      idempotencyKey: 'drill-2026-03-02',
    });
    expect(e.operations()).toHaveLength(1);

    // Another request while it runs: 409 naming the running operation.
    const other = await e.call('POST', 'failover', { body: { reason: 'me too', kind: 'emergency' } });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ error: `failover ${id} is in progress`, runningOperationId: id });
    const back = await e.call('POST', 'failback', { body: { reason: 'changed my mind', force: true } });
    expect(back.status).toBe(409);
    expect(back.body.runningOperationId).toBe(id);

    const running = await e.call('GET', 'status');
    expect(running.body).toMatchObject({
      mode: 'failing-over',
      activeRegion: 'primary',
      currentOperation: {
        operationId: id,
        direction: 'failover',
        trigger: 'manual',
        runtimeStatus: 'Running',
      },
    });
    expect(running.body.currentOperation.live.timeline[0].event).toBe(
      'failover requested by function-key: region drill',
    );
    // Waiting for the split entries' next slot (08:30, plus the margin) says so: status, the monitor's last
    // cycle, and the operation's timeline (the live log prints it).
    expect(running.body.currentOperation).toMatchObject({
      waiting: 'waiting for the split slot at 08:30:30',
      waitingUntil: '2026-03-02T08:30:30.000Z',
    });
    expect(running.body.monitor.lastCycle.reason).toMatch(
      new RegExp(`; the failover ${id} is waiting for the split slot at 08:30:30$`),
    );
    expect(running.body.currentOperation.live.timeline.map((t: { event: string }) => t.event)).toContainEqual(
      expect.stringMatching(/^group \d+: waiting for the split slot at 08:30:30 \(.+\)$/),
    );
    // What it is doing, with times, in the status and in dr status (audit finding 1).
    const groupRuns = expect.stringMatching(
      /^group \d+ runs: .+ \(fences first, retried for at most PT[\d.HMS]+ against a region answering with errors\)$/,
    );
    expect(running.body.currentOperation.progress).toMatchObject({
      entriesDone: expect.any(Number),
      lastEvents: expect.arrayContaining([{ at: expect.any(String), event: groupRuns }]),
    });
    const shown = renderStatus(running.body);
    expect(shown).toMatch(
      /\n {4}progress: \d+ entr(y|ies) done; \d+ sub-orchestration\(s\) of the running group at work\n/,
    );
    expect(shown).toMatch(/\n {6}\S+Z group \d+ runs: /);
    const live = await e.call('GET', `operations/${id}`);
    expect(renderOperation(live.body)).toMatch(
      /\n {2}waiting: waiting for the split slot at 08:30:30 \(until 2026-03-02T08:30:30.000Z\)\n/,
    );
    expect(live.body).toMatchObject({
      operationId: id,
      status: 'running',
      runtimeStatus: 'Running',
      request: {
        direction: 'failover',
        kind: 'planned',
        caller: { by: 'function-key', reason: 'region drill' },
      },
      live: { operationId: id, status: 'running' },
    });
    expect(live.body.record).toBeUndefined();

    await e.advance(35 * MIN);
    // The "failover started" notification carries the caller.
    const started = await events(e, EVENT_TYPES.failoverStarted);
    expect(started).toHaveLength(1);
    expect(eventOf(started[0]!, EVENT_TYPES.failoverStarted).data.caller).toEqual({
      by: 'function-key',
      reason: 'region drill',
    });
    const done = await e.call('GET', 'status');
    expect(done.body).toMatchObject({
      mode: 'failed-over',
      activeRegion: 'secondary',
      activeLocation: 'northeurope',
      currentOperation: null,
      lastOperation: { operationId: id, direction: 'failover', outcome: 'succeeded' },
    });
    const record = await e.call('GET', `operations/${id}`);
    expect(record.body).toMatchObject({ status: 'succeeded', runtimeStatus: 'Completed' });
    expect(record.body.record.timeline.at(-1).event).toBe('failover succeeded');
    expect(record.body.record.entries.length).toBeGreaterThan(0);
    expect(record.body.live).toBeUndefined();

    const history = await e.call('GET', 'history');
    expect(history.body).toEqual({
      items: [
        expect.objectContaining({
          operationId: id,
          direction: 'failover',
          kind: 'planned',
          trigger: 'manual',
          by: 'function-key',
          reason: 'region drill',
          status: 'succeeded',
        }),
      ],
    });

    // Already failed over (and it succeeded): refused with the monitor's reason.
    const twice = await e.call('POST', 'failover', { body: { reason: 'again', kind: 'emergency' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toContain('already failed over');
    expect(twice.body.runningOperationId).toBeUndefined();

    // The primary flaps: one healthy probe since is not the recovery threshold (5): failback refused...
    e.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await e.advance(MIN);
    // A forced failback's dry run now: the failback's own gate holds every entry, so the preview does too.
    const dryBack = await e.call('POST', 'failback', {
      body: { reason: 'what if', force: true, dryRun: true },
    });
    expect(dryBack.status).toBe(200);
    const entries = dryBack.body.plan.groups.flatMap((g: { entries: unknown[] }) => g.entries);
    expect(entries.length).toBeGreaterThan(0);
    for (const en of entries)
      expect(en).toMatchObject({
        steps: [],
        held: 'every-entry-runs',
        blocked: expect.stringMatching(/^held: the primary's health check fails /),
      });
    e.sim.restore('westeurope');
    await e.advance(30_000);
    const early = await e.call('POST', 'failback', { body: { reason: 'primary is back' } });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/not been healthy for the soak yet \(1 of 5 healthy probes/);
    expect(e.operations()).toHaveLength(1);
    // ...unless forced.
    const forced = await e.call('POST', 'failback', { body: { reason: 'primary is back', force: true } });
    expect(forced.status).toBe(202);
    expect(forced.body.operationId).toMatch(/^failback-2-/);
    expect(e.operations()).toHaveLength(2);

    // No secret in any log line or response: function key, Service Bus key, callback signatures.
    const everything = [...e.logs.map((l) => l.message), ...e.responses].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(e.broker.connectionString);
    expect(everything).not.toMatch(/SharedAccessKey=|[?&]sig=|[?&]code=/);
  });

  it('pause and resume: idempotent, shown in status, notified with the caller', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const until = inFuture(e, 2 * 60 * MIN);
    const body = { reason: 'network maintenance', until };
    const first = await e.call('POST', 'pause', { body, idempotencyKey: 'maint-1' });
    const second = await e.call('POST', 'pause', { body, idempotencyKey: 'maint-1' });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const longer = await e.call('POST', 'pause', {
      body: { ...body, until: inFuture(e, 3 * 60 * MIN) },
      idempotencyKey: 'maint-1',
    });
    expect(longer.status, 'the same key with another until').toBe(422);
    expect(first.body).toEqual({
      status: 'applied',
      mode: 'paused',
      pause: { until, by: 'function-key', reason: 'network maintenance' },
    });
    const paused = await events(e, EVENT_TYPES.paused);
    expect(paused).toHaveLength(1); // one effect for the two requests
    expect(eventOf(paused[0]!, EVENT_TYPES.paused).data).toMatchObject({
      caller: { by: 'function-key' },
      until,
    });

    // Paused: an outage does not fail over automatically; status says why nothing happens.
    e.sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    await e.advance(3 * MIN);
    const status = await e.call('GET', 'status');
    expect(status.body).toMatchObject({
      mode: 'paused',
      pause: { until, by: 'function-key' },
      currentOperation: null,
    });
    expect(status.body.failures.consecutive).toBeGreaterThanOrEqual(3);
    expect(status.body.monitor.lastCycle.reason).toMatch(
      /^paused until .* by function-key; primary failing: \d+ failed probe\(s\) in a row \(fails over at 3\)$/,
    );
    expect(e.operations()).toEqual([]);

    const resumed = await e.call('POST', 'resume', { body: { reason: 'done early' } });
    // The resume says which pause it ended.
    expect(resumed.body).toEqual({
      status: 'applied',
      mode: 'degraded',
      pause: null,
      endedPause: { until, by: 'function-key', reason: 'network maintenance' },
    });
    expect(await events(e, EVENT_TYPES.resumed)).toHaveLength(1);
    expect((await e.call('GET', 'status')).body.pause).toBeNull();

    // A late retry, after its `until` has passed: the first answer again (200), not a 400 about the past.
    const short = { reason: 'short maintenance', until: inFuture(e, MIN) };
    const applied = await e.call('POST', 'pause', { body: short, idempotencyKey: 'short-1' });
    expect(applied.status).toBe(200);
    await e.advance(2 * MIN);
    const late = await e.call('POST', 'pause', { body: short, idempotencyKey: 'short-1' });
    expect(late.status, late.text).toBe(200);
    expect(late.body).toMatchObject({ status: 'applied', pause: null }); // the pause itself has ended
    expect(await events(e, EVENT_TYPES.paused)).toHaveLength(2); // still one effect for that key
    expect(
      auditLines(e.logs)
        .filter((a) => a.idempotencyKey === 'short-1')
        .map((a) => a.replayed),
    ).toEqual([false, true]);
    // The same body as a new request (no key) is checked against the clock.
    const fresh = await e.call('POST', 'pause', { body: short });
    expect(fresh.status).toBe(400);
    expect(fresh.body.issues[0]).toMatchObject({ path: 'until' });
  });
});

describe('status after an outage and an automatic failover', () => {
  it('shows the failures, the probes that failed, the automatic operation, its RTO and the pending fences', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    e.sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    await e.advance(30_000);
    const degraded = (await e.call('GET', 'status')).body;
    expect(degraded).toMatchObject({
      mode: 'degraded',
      failures: { counted: 1, needed: 3, consecutive: 1, rule: '1 of 3 consecutive failed probes' },
    });
    expect(degraded.recentProbes.at(-1)).toMatchObject({ healthy: false, failure: expect.any(String) });

    await e.advance(10 * MIN);
    const s = (await e.call('GET', 'status')).body;
    expect(s).toMatchObject({
      mode: 'failed-over',
      activeRegion: 'secondary',
      currentOperation: null,
      lastOperation: { direction: 'failover', trigger: 'automatic', outcome: expect.any(String) },
      monitor: { runtimeStatus: 'Running', instanceId: 'dr-monitor-contoso-orders-dr' },
    });
    expect(s.recentProbes).toHaveLength(20);
    expect(s.recentProbes.every((p: { healthy: boolean }) => !p.healthy)).toBe(true);
    expect(s.failures.consecutive).toBeGreaterThanOrEqual(3);
    // The primary's ARM is down too, so disabling its workflows waits as pending fences.
    expect(s.pendingFences.length).toBeGreaterThan(0);
    expect(s.pendingFences.every((l: string) => l.startsWith('primary:'))).toBe(true);
    expect(s.lastOperation.measuredRtoMs).toBeGreaterThan(0);
    expect(s.predictedRto).toMatchObject({
      // Plus five queue hops of at most 2 s each (host.json maxQueuePollingInterval).
      detectionMs: 3 * 30_000 + 10_000 + 5 * 2_000,
      detection: expect.stringContaining(
        '3 failed probe(s) x PT30S probe interval + PT10S probe timeout + 5 queue hops x PT2S',
      ),
      automaticFailover: true,
    });
    // The actuation is a bound at the ARM latency this instance observed, and says so.
    expect(s.predictedRto.actuation).toMatch(
      /^a bound: .* sequential ARM round trips x \d+ ms \(the slowest/,
    );
    expect(s.lastFailoverAt).toBe(s.lastOperation.startedAt);
    const items = (await e.call('GET', 'history')).body.items;
    expect(items).toEqual([
      expect.objectContaining({
        operationId: s.lastOperation.operationId,
        trigger: 'automatic',
        by: 'automatic',
      }),
    ]);
    // The summary of the last failover: outcome, times, measured and predicted RTO, the fences it left.
    const failover = {
      operationId: s.lastOperation.operationId,
      trigger: 'automatic',
      kind: 'emergency',
      by: 'automatic',
      reason: 'primary health check failed (3 in a row)',
      outcome: s.lastOperation.outcome,
      startedAt: s.lastOperation.startedAt,
      finishedAt: s.lastOperation.finishedAt,
      measuredRtoMs: s.lastOperation.measuredRtoMs,
      predictedRtoMs: expect.any(Number),
      moved: 'all',
      pendingFences: s.pendingFences,
    };
    expect(s.lastFailover).toMatchObject(failover);
    expect(s.lastFailover.predictedRtoMs).toBeGreaterThan(0);

    // After a failback the last operation is the failback, and the failover's summary is still there.
    await e.restore('westeurope');
    await e.advance(3 * MIN);
    const back = await e.call('POST', 'failback', { body: { reason: 'primary is back', force: true } });
    expect(back.status, back.text).toBe(202);
    await e.advance(60 * MIN);
    const after = (await e.call('GET', 'status')).body;
    expect(after).toMatchObject({
      mode: 'monitoring',
      activeRegion: 'primary',
      lastOperation: { operationId: back.body.operationId, direction: 'failback', outcome: 'succeeded' },
      pendingFences: [],
    });
    expect(after.lastFailover).toEqual({ ...failover, predictedRtoMs: s.lastFailover.predictedRtoMs });
    expect(after.lastFailoverAt).toBe(failover.startedAt);
  });
});

describe('dry runs and the monitor lifecycle', () => {
  it('503 until the monitor runs; dry runs return the what-if plan and change nothing', async () => {
    const e = (estate = await startApiEstate());
    const early = await e.call('GET', 'status');
    expect(early.status).toBe(503);
    expect(early.body.error).toContain('not running yet');
    expect(early.headers.get('retry-after')).toBeTruthy();
    // A pause before the first tick: the monitor has the plan's policy from its start, so it judges the pause
    // (before, it answered 503 until the first tick brought the policy).
    const beforeTick = await e.call('POST', 'pause', { body: { reason: 'x', until: inFuture(e, MIN) } });
    expect(beforeTick.status, beforeTick.text).toBe(200);
    expect(beforeTick.body).toMatchObject({ status: 'applied', mode: 'paused' });
    const tooLong = await e.call('POST', 'pause', {
      body: { reason: 'x', until: inFuture(e, 9 * 60 * MIN) },
    });
    expect(tooLong.status).toBe(400);
    expect((await e.call('POST', 'resume', { body: { reason: 'x' } })).status).toBe(200);
    await e.advance(MIN);

    const workflows = JSON.stringify(e.sim.workflows());
    const changes = e.sim.stateChanges().length;
    const answers = e.monitor().answers.length;
    const dry = await e.call('POST', 'failover', {
      body: { reason: 'what if', kind: 'emergency', dryRun: true },
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      dryRun: true,
      direction: 'failover',
      kind: 'emergency',
      unreadable: [],
    });
    expect(dry.body.plan.groups.map((g: { group: number }) => g.group)).toEqual([0, 1, 2]);
    const steps = dry.body.plan.groups.flatMap((g: any) => g.entries.flatMap((en: any) => en.steps));
    expect(steps.some((st: { op: string; noop?: boolean }) => st.op === 'enable' && !st.noop)).toBe(true);
    // Nothing to fail back: the dry run is refused as the request would be, not previewed.
    const dryBack = await e.call('POST', 'failback', { body: { reason: 'what if', dryRun: true } });
    expect(dryBack.status).toBe(409);
    expect(dryBack.body).toEqual({
      error: 'dry run: the failback would be refused: nothing to fail back: the monitor is monitoring',
      dryRun: true,
    });

    expect(JSON.stringify(e.sim.workflows())).toBe(workflows);
    expect(e.sim.stateChanges()).toHaveLength(changes);
    expect(e.operations()).toEqual([]);
    expect(e.monitor().answers).toHaveLength(answers);
  });
});

describe('a dry run answers what the request would', () => {
  it('the primary failing: a planned failover is refused, dry run or not, with the same reason; emergency previews', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    // Paused, so the failing primary is not failed over automatically while the requests are asked.
    await e.call('POST', 'pause', { body: { reason: 'drill', until: inFuture(e, 60 * MIN) } });
    e.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await e.advance(MIN);
    const workflows = JSON.stringify(e.sim.workflows());

    const dry = await e.call('POST', 'failover', { body: { reason: 'x', kind: 'planned', dryRun: true } });
    expect(dry.status).toBe(409);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.error).toMatch(
      /^dry run: the failover would be refused: the primary is failing its health check \(\d+ failed probe\(s\) in a row\): .*ask for kind "emergency"$/,
    );
    expect(e.operations()).toEqual([]);
    const real = await e.call('POST', 'failover', { body: { reason: 'x', kind: 'planned' } });
    expect(real.status).toBe(409);
    expect(dry.body.error).toBe(`dry run: the failover would be refused: ${real.body.error}`);
    expect(e.operations()).toEqual([]);

    const emergency = await e.call('POST', 'failover', {
      body: { reason: 'x', kind: 'emergency', dryRun: true },
    });
    expect(emergency.status).toBe(200);
    expect(emergency.body).toMatchObject({ dryRun: true, direction: 'failover', kind: 'emergency' });
    expect(emergency.body.supersedes).toBeUndefined();
    expect(JSON.stringify(e.sim.workflows())).toBe(workflows);
    expect(e.operations()).toEqual([]);
  });

  it('a break-glass failover while one runs: the dry run and the 202 name the operation it supersedes', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    // A planned failover waits for the split entries' next slot boundary: it is still running below.
    const first = await e.call('POST', 'failover', { body: { reason: 'drill', kind: 'planned' } });
    expect(first.status).toBe(202);
    const running: string = first.body.operationId;
    expect(first.body.supersedes).toBeUndefined();

    const plain = await e.call('POST', 'failover', {
      body: { reason: 'me too', kind: 'emergency', dryRun: true },
    });
    expect([plain.status, plain.body]).toEqual([
      409,
      {
        error: `dry run: the failover would be refused: failover ${running} is in progress`,
        dryRun: true,
        runningOperationId: running,
      },
    ]);
    const breakGlass = { reason: 'primary ARM is failing', kind: 'emergency', override: ['no-dual-active'] };
    const dry = await e.call('POST', 'failover', { body: { ...breakGlass, dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, supersedes: running });
    expect(e.operations()).toHaveLength(1);

    const replaced = await e.call('POST', 'failover', { body: breakGlass });
    expect(replaced.status).toBe(202);
    expect(replaced.body).toEqual({
      operationId: expect.stringMatching(/^failover-2-/),
      status: 'accepted',
      location: `/api/operations/${replaced.body.operationId}`,
      supersedes: running,
    });
  });
});

describe('history paging', () => {
  it('newest first, limit and before walk the pages, nextBefore only while there is more', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const ids: string[] = [];
    for (const [path, body] of [
      ['failover', { reason: 'one', kind: 'emergency' }],
      ['failback', { reason: 'two', force: true }],
      ['failover', { reason: 'three', kind: 'emergency' }],
    ] as const) {
      const r = await e.call('POST', path, { body });
      expect(r.status, `${path}: ${r.text}`).toBe(202);
      ids.push(r.body.operationId);
      await e.advance(60 * MIN); // a planned failback waits for the hourly split entry's boundary
    }
    const page1 = (await e.call('GET', 'history?limit=2')).body;
    expect(page1.items.map((i: { operationId: string }) => i.operationId)).toEqual([ids[2], ids[1]]);
    expect(page1.nextBefore).toBe(ids[1]);
    expect(page1.items.map((i: { reason: string }) => i.reason)).toEqual(['three', 'two']);
    const page2 = (await e.call('GET', `history?limit=2&before=${page1.nextBefore}`)).body;
    expect(page2.items.map((i: { operationId: string }) => i.operationId)).toEqual([ids[0]]);
    expect(page2.nextBefore).toBeUndefined();
    const all = (await e.call('GET', 'history')).body;
    expect(all.items).toHaveLength(3);
    expect(
      all.items.every(
        (i: { status: string; finishedAt?: string }) => i.status === 'succeeded' && i.finishedAt,
      ),
    ).toBe(true);
    expect((await e.call('GET', `history?before=${ids[0]}`)).body).toEqual({ items: [] });
  });

  it('GET /api/requests: pauses, resumes and refused requests with who, why, when and the answer, paged', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const until = inFuture(e, 60 * MIN);
    const pause = await e.call('POST', 'pause', {
      body: { reason: 'network maintenance', until },
      idempotencyKey: 'maint-1',
      principal: principal('alice@contoso.com', ['Failover.Operator']),
    });
    expect(pause.status, pause.text).toBe(200);
    // Repeated with its key: one request, one record.
    await e.call('POST', 'pause', {
      body: { reason: 'network maintenance', until },
      idempotencyKey: 'maint-1',
      principal: principal('alice@contoso.com', ['Failover.Operator']),
    });
    await e.advance(MIN);
    const refused = await e.call('POST', 'failback', {
      body: { reason: 'try it', force: true },
      idempotencyKey: 'fb-1',
    });
    expect(refused.status, refused.text).toBe(409);
    await e.advance(MIN);
    const resume = await e.call('POST', 'resume', {
      body: { reason: 'done early' },
      idempotencyKey: 'res-1',
    });
    expect(resume.status, resume.text).toBe(200);
    await e.advance(MIN);

    const all = await e.call('GET', 'requests');
    expect(all.status, all.text).toBe(200);
    expect(all.body.items).toEqual([
      {
        requestId: 'http-resume-res-1',
        request: 'resume',
        at: expect.any(String),
        seq: expect.any(Number),
        by: 'function-key',
        reason: 'done early',
        answer: 'applied',
        endedPause: { until, by: 'alice@contoso.com', reason: 'network maintenance' },
      },
      {
        requestId: 'http-failback-fb-1',
        request: 'failback',
        at: expect.any(String),
        seq: expect.any(Number),
        by: 'function-key',
        reason: 'try it',
        answer: 'refused',
        answerReason: 'nothing to fail back: the monitor is monitoring',
        kind: 'planned',
        override: [],
        force: true,
      },
      {
        requestId: 'http-pause-maint-1',
        request: 'pause',
        at: expect.any(String),
        seq: expect.any(Number),
        by: 'alice@contoso.com',
        reason: 'network maintenance',
        answer: 'applied',
        until,
      },
    ]);
    const order = all.body.items.map((i: { seq: number }) => i.seq);
    expect(order).toEqual([...order].sort((a, b) => b - a));
    const page1 = (await e.call('GET', 'requests?limit=2')).body;
    expect(page1.items.map((i: { requestId: string }) => i.requestId)).toEqual([
      'http-resume-res-1',
      'http-failback-fb-1',
    ]);
    expect(page1.nextBefore).toBe('http-failback-fb-1');
    const page2 = (await e.call('GET', `requests?limit=2&before=${page1.nextBefore}`)).body;
    expect(page2).toEqual({ items: [all.body.items[2]] });
    const unknown = await e.call('GET', 'requests?before=http-pause-nope');
    expect(unknown.status).toBe(400);
    expect(unknown.body.issues[0]).toMatchObject({ path: 'before' });
  });
});
