/**
 * Break-glass within minutes (issue 22): fences against a region whose ARM answers with errors get a bounded
 * budget per group, then what they protect is blocked at once (and said at once), or, under the operator's
 * no-dual-active override, activated; a fence that failed stays pending and is applied when the region answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/durable/contracts';
import { DEFAULT_FENCE_BUDGET_MS } from '../../src/durable/retries';
import {
  ACTIVE_PASSIVE,
  BREAK_GLASS,
  expectFencesAppliedWhenPrimaryArmAnswers,
  expectSecondaryRunsWithin2Minutes,
  MIN,
  PRIMARY,
  primaryArmOutage,
  SECONDARY,
} from '../support/break-glass';
import { estatePerTest, stateOf, type Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';
import { startApiEstate, type ApiEstate } from '../http/support';

const estates = estatePerTest();
// An estate with the HTTP API, for what the status says.
let withApi: ApiEstate | undefined;
afterEach(async () => {
  const e = withApi;
  withApi = undefined;
  await e?.stop();
});

const records = (e: Estate) => e.operations().flatMap((o) => (o.output ? [o.output] : []));
const bodyOf = (body: unknown) =>
  (typeof body === 'string'
    ? JSON.parse(body)
    : Buffer.isBuffer(body)
      ? JSON.parse(body.toString('utf8'))
      : body) as { time: string; data: Record<string, any> };

describe('break-glass within minutes', () => {
  it('primary ARM failing every write: a break-glass failover runs the active-passive workflows within 2 minutes, and its failed fences are applied when the ARM answers', async () => {
    const e = await estates.start();
    const outageAt = await primaryArmOutage(e);
    e.requestOperation('break-glass-now', BREAK_GLASS);
    await e.advance(2 * MIN, 5_000);

    expectSecondaryRunsWithin2Minutes(e, outageAt);
    await e.advance(5 * MIN, 5_000);
    const [op] = records(e);
    expect(op!.request.caller.by).toBe('oncall@contoso');
    const webhook = op!.entries.find((x) => x.entry === 'order-webhook')!;
    expect(webhook.steps.map((s) => s.status)).toEqual(['failed', 'done']);
    expect(webhook.overrideUsed).toMatch(/^no-dual-active: activated secondary:order-webhook although/);
    // The first group spent the budget on the failing region; later groups tried their fences once.
    const group0 = op!.entries.find((x) => x.entry === 'split-report')!;
    expect(group0.steps[0]!.error).toMatch(/^gave up: the fence budget ran out/);
    // A fence that failed stays pending, override or not.
    expect(op!.pendingFences.map((t) => t.label)).toEqual(
      expect.arrayContaining([
        'primary:order-webhook',
        'primary:mailbox-poller',
        'primary:la-orders-weu/invoice-sync',
      ]),
    );
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Enabled'); // both, for now: the operator accepted that

    // The primary's ARM answers again (its health check still fails): the fences are applied within a cycle.
    await expectFencesAppliedWhenPrimaryArmAnswers(e);
    expect(e.broker.messages('failover-events').map((m) => m.subject)).toContain(EVENT_TYPES.fenceApplied);
    expect(e.operations()).toHaveLength(1);
  });

  it('without the override: the activation is blocked after the fence budget, and activation.blocked goes out at once', async () => {
    const e = (withApi = await startApiEstate());
    await primaryArmOutage(e);
    await e.advance(10 * MIN, 5_000);

    const [op] = records(e);
    expect(op!.status).toBe('completed-with-errors');
    const started = Date.parse(op!.timeline[0]!.at);
    const blocked = e.broker
      .messages('failover-events')
      .filter((m) => m.subject === EVENT_TYPES.activationBlocked && m.correlationId === op!.operationId)
      .map((m) => bodyOf(m.body));
    // The first group's notice within the budget (plus a retry pause), long before the operation completed.
    const first = Math.min(...blocked.map((b) => Date.parse(b.time)));
    expect(first - started).toBeGreaterThanOrEqual(DEFAULT_FENCE_BUDGET_MS - 1_000);
    expect(first - started).toBeLessThanOrEqual(DEFAULT_FENCE_BUDGET_MS + 5_000);
    const entries = blocked.flatMap((b) => b.data.entries.map((x: { entry: string }) => x.entry));
    expect(entries).toEqual(
      expect.arrayContaining(['split-report', 'nightly-settlement', ...ACTIVE_PASSIVE]),
    );
    // Later groups did not spend the budget again: the whole failover is over about a budget after it began.
    expect(Date.parse(op!.readBack.at(-1)!.at) - started).toBeLessThan(DEFAULT_FENCE_BUDGET_MS + 30_000);
    // Nothing moved that could run in both regions, and no fence is left to stop it running anywhere.
    for (const name of ACTIVE_PASSIVE) expect(stateOf(e, SECONDARY, name), name).toBe('Disabled');
    expect(op!.pendingFences.map((t) => t.label)).toEqual(
      expect.not.arrayContaining(['primary:order-webhook', 'primary:mailbox-poller']),
    );
    // Status never says a plain "failed-over" here: it names each entry that did not move, and why.
    const status = await e.call('GET', 'status');
    expect(status.body.mode).toBe('failed-over');
    expect(status.body.modeDetail).toMatch(
      /^failed-over \((partial|the failover moved nothing): .*order-webhook/,
    );
    const notMoved = status.body.moved.notMoved as { entry: string; why: string }[];
    for (const name of ACTIVE_PASSIVE)
      expect(notMoved, name).toContainEqual(expect.objectContaining({ entry: name, why: 'blocked' }));
    expect(op!.notMoved).toEqual(status.body.moved.notMoved);
    expect(checkInvariants(e, { detectedAt: started })).toEqual([]);
  });

  it("ARM's Retry-After is honoured: writes go through within a Retry-After of the throttle lifting, not a backoff step later", async () => {
    const e = await estates.start();
    await e.advance(5 * MIN);
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    e.outage(SECONDARY, { kind: 'throttled', retryAfterSeconds: 5 });
    for (let waited = 0; e.operations().length === 0 && waited < 5 * MIN; waited += 5_000)
      await e.advance(5_000, 5_000);
    // Lifted 20 to 25 s into the operation: backoff would try next at 31 s (1, 2, 4, 8, 16 s pauses).
    await e.advance(20_000, 1_000);
    const liftedAt = e.host.clock.now();
    e.sim.restore(SECONDARY, 'throttled');
    await e.advance(10_000, 1_000);
    await e.advance(2 * MIN, 10_000);

    const [op] = records(e);
    expect(op!.status).toBe('succeeded');
    const writes = e.sim
      .requestLog()
      .filter((r) => r.listener === 'arm' && r.region === SECONDARY && r.method !== 'GET');
    expect(writes.some((r) => r.status === 429)).toBe(true);
    // Every write that was throttled went through after the lift, at most one Retry-After (5 s) later.
    const firstAfterLift = writes.find((r) => r.status! < 300 && Date.parse(r.virtualTime) >= liftedAt);
    expect(firstAfterLift).toBeDefined();
    expect(Date.parse(firstAfterLift!.virtualTime) - liftedAt).toBeLessThanOrEqual(5_000);
    expect(stateOf(e, SECONDARY, 'order-webhook')).toBe('Enabled');
    expect(Date.parse(op!.readBack.at(-1)!.at) - liftedAt).toBeLessThanOrEqual(10_000);
  }, 120_000);
});
