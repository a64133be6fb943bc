/**
 * Break-glass within minutes (issue 22, §3): an operator supersedes (or cancels) a running operation. The running
 * one stops at its next step boundary, says why and by whom, and the replacement does not try again the fences
 * its predecessor found failing: the secondary runs within 2 minutes of the outage, and the fences are applied
 * once the primary's ARM answers (never both).
 */
import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  MONITOR_SIGNAL,
  monitorInstanceId,
  type OperationRecord,
  type Signal,
} from '../../src/durable/contracts';
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
import { eventOf } from '../support/notifications';

const estates = estatePerTest();

const recordOf = (e: Estate, operationId: string): OperationRecord | undefined =>
  e.operations().find((o) => o.instanceId.endsWith(operationId))?.output;
const raise = (e: Estate, signal: Signal) =>
  e.host.durable.raiseEvent(monitorInstanceId(e.plan.id), MONITOR_SIGNAL, signal);
/** The first write to the primary's ARM that failed (a fence of the running failover), if one has. */
const failedPrimaryWrite = (e: Estate) =>
  e.sim
    .requestLog()
    .find(
      (r) => r.listener === 'arm' && r.region === PRIMARY && r.method !== 'GET' && (r.status ?? 0) >= 500,
    );

/** Primary unhealthy and its ARM failing every request; advances until the automatic failover's first fence failed. */
async function outageUntilFirstFenceFails(e: Estate): Promise<{ outageAt: number; runningId: string }> {
  const outageAt = await primaryArmOutage(e);
  for (let waited = 0; !failedPrimaryWrite(e) && waited < 5 * MIN; waited += 1_000)
    await e.advance(1_000, 1_000);
  expect(failedPrimaryWrite(e)).toBeDefined();
  const running = e.monitor().activeOperation;
  expect(running?.trigger).toBe('automatic');
  return { outageAt, runningId: running!.operationId };
}

const answerTo = (e: Estate, id: string) => e.monitor().answers.find((a) => a.id === id);

describe('break-glass: an operator supersedes or cancels a running operation', () => {
  it('a failover with an override, asked as soon as the first fence fails, supersedes the automatic one: the secondary runs within 2 minutes of the outage, and the fences are applied when the ARM answers', async () => {
    const e = await estates.start();
    const { outageAt, runningId } = await outageUntilFirstFenceFails(e);
    e.requestOperation('break-glass-now', BREAK_GLASS);
    await e.advance(5_000, 1_000);
    const answer = answerTo(e, 'break-glass-now');
    expect(answer).toMatchObject({ status: 'accepted' });
    const replacementId = (answer as { operationId: string }).operationId;
    expect(replacementId).not.toBe(runningId);

    const moved = () => ACTIVE_PASSIVE.every((n) => stateOf(e, SECONDARY, n) === 'Enabled');
    for (let waited = 0; waited < 2 * MIN && !moved(); waited += 1_000) await e.advance(1_000, 1_000);
    expectSecondaryRunsWithin2Minutes(e, outageAt);
    await e.advance(3 * MIN, 5_000);

    // The automatic failover: stopped at its next step boundary, saying why and by whom.
    const superseded = recordOf(e, runningId)!;
    expect(superseded.status).toBe('superseded');
    expect(superseded.stopped).toMatchObject({
      outcome: 'superseded',
      supersededBy: replacementId,
      caller: { by: 'oncall@contoso' },
    });
    expect(superseded.timeline.map((t) => t.event).join('\n')).toMatch(/superseded by .*oncall@contoso/);
    // Its fence that was failing was given up at once, not after the whole fence budget.
    const cut = superseded.entries.flatMap((x) => x.steps).find((s) => s.error?.includes('superseded'));
    expect(cut?.error).toMatch(/^gave up: the operation was superseded by /);
    // The replacement ran after it, never beside it, and did not try the primary's fences again.
    const replacement = recordOf(e, replacementId)!;
    expect(replacement.status).toBe('completed-with-errors'); // the primary's copies still run, for now
    expect(Date.parse(replacement.timeline[0]!.at)).toBeGreaterThanOrEqual(
      Date.parse(superseded.timeline.at(-1)!.at),
    );
    const webhook = replacement.entries.find((x) => x.entry === 'order-webhook')!;
    expect(webhook.steps.map((s) => s.status)).toEqual(['pending-fence', 'done']);
    expect(webhook.steps[0]!.error).toMatch(/^not tried: .*failed in .*which this operation superseded/);
    expect(webhook.overrideUsed).toMatch(/^no-dual-active: activated secondary:order-webhook/);
    // Before the primary's ARM answers again: each fence of the first group was tried once (by the superseded
    // operation, whose retries the stop cut short), the later groups' fences never.
    const primaryWrites = e.sim
      .requestLog()
      .map((r) => ({ ...r, path: r.path.split('?')[0]! }))
      .filter((r) => r.listener === 'arm' && r.region === PRIMARY && r.method !== 'GET')
      .filter((r) => !/\/list(CallbackUrl)?$/.test(r.path)) // reads sent as POST
      .map((r) => r.path.match(/workflows\/([^/]+)\//)?.[1] ?? r.path);
    expect(primaryWrites.sort()).toEqual(['nightly-settlement', 'split-report-even', 'split-report-odd']);
    expect(replacement.pendingFences.map((t) => t.label)).toEqual(
      expect.arrayContaining([
        'primary:order-webhook',
        'primary:mailbox-poller',
        'primary:la-orders-weu/invoice-sync',
      ]),
    );
    // Said at once: the stop, with who asked.
    const stopped = e.broker
      .messages('failover-events')
      .filter((m) => m.subject === EVENT_TYPES.operationCancelled)
      .map((m) => eventOf(m, EVENT_TYPES.operationCancelled).data);
    expect(stopped).toEqual([
      expect.objectContaining({
        operationId: runningId,
        outcome: 'superseded',
        supersededBy: replacementId,
        caller: { by: 'oncall@contoso', reason: 'West Europe ARM broken: leave now' },
      }),
    ]);

    // The primary's ARM answers again: the pending fences are applied (never both).
    await expectFencesAppliedWhenPrimaryArmAnswers(e);
    expect(e.operations()).toHaveLength(2);
  });

  it('an operator cancels the running failover: it stops at its next step boundary, nothing is half-applied, and the cancel is recorded', async () => {
    const e = await estates.start();
    const { runningId } = await outageUntilFirstFenceFails(e);
    const caller = { by: 'oncall@contoso', reason: 'stop: we fix the region instead' };
    // As the runbook says: pause first, so the monitor does not start another failover at the next probe.
    raise(e, {
      kind: 'pause',
      id: 'pause-1',
      until: new Date(e.host.clock.now() + 60 * MIN).toISOString(),
      caller,
    });
    await e.advance(1_000, 1_000);
    const askedAt = e.host.clock.now();
    raise(e, { kind: 'cancel-operation', id: 'cancel-1', operationId: runningId, caller });
    await e.advance(10_000, 1_000);
    expect(answerTo(e, 'cancel-1')).toMatchObject({ status: 'accepted', operationId: runningId });

    const op = recordOf(e, runningId)!;
    expect(op.status).toBe('cancelled');
    // Well before the fence budget (60 s) would have run out.
    expect(Date.parse(op.timeline.at(-1)!.at) - askedAt).toBeLessThan(10_000);
    expect(op.stopped).toMatchObject({ outcome: 'cancelled', caller });
    // The groups not begun are named; what began is recorded step by step.
    expect(op.stopped!.notRun).toEqual(expect.arrayContaining(ACTIVE_PASSIVE));
    const cut = op.entries.flatMap((x) => x.steps).find((s) => s.error?.includes('cancelled'));
    expect(cut).toMatchObject({ status: 'failed' });
    expect(cut!.error).toMatch(/^gave up: the operation was cancelled by oncall@contoso/);
    // Nothing moved that could run in both regions, and nothing was fenced that is not replaced.
    for (const name of ACTIVE_PASSIVE) {
      expect(stateOf(e, SECONDARY, name), name).toBe('Disabled');
      expect(stateOf(e, PRIMARY, name), name).toBe('Enabled');
    }
    expect(op.pendingFences).toEqual([]);
    const monitor = e.monitor();
    expect(monitor.activeOperation).toBeUndefined();
    expect(monitor.lastOperation).toMatchObject({ operationId: runningId, outcome: 'cancelled' });
    expect(
      e.broker
        .messages('failover-events')
        .filter((m) => m.subject === EVENT_TYPES.failoverCompleted)
        .map((m) => eventOf(m, EVENT_TYPES.failoverCompleted).data.outcome),
    ).toEqual(['cancelled']);
    expect(
      e.broker.messages('failover-events').filter((m) => m.subject === EVENT_TYPES.operationCancelled),
    ).toHaveLength(1);

    // A second cancel, and a cancel of an operation that is not running, are refused with why.
    raise(e, { kind: 'cancel-operation', id: 'cancel-2', operationId: runningId, caller });
    await e.advance(1_000, 1_000);
    expect(answerTo(e, 'cancel-2')).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/is not running: it ended \(cancelled\)/),
    });
    await e.advance(5 * MIN, 5_000);
    expect(e.operations()).toHaveLength(1); // paused: nothing started again
  });
});
