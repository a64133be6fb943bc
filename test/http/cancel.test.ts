/**
 * POST /api/operations/{id}/cancel against the real functions in the in-process host: validated (400 naming the
 * field), authorised and audited like every mutating route, answered by the monitor (202, then 409 once the
 * operation is over), and the operation stops at its next step boundary with outcome `cancelled`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ROLES } from '../../src/http/auth';
import { auditLines, MIN, principal, startApiEstate, type ApiEstate } from './support';

let estate: ApiEstate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

const OPERATOR = principal('oncall@contoso.com', [APP_ROLES.operator]);
const READER = principal('reader@contoso.com', [APP_ROLES.reader]);

describe('POST /api/operations/{id}/cancel', () => {
  it('bad requests are 400s naming the field; a reader is 403; an operator cancels a running failover, audited; a second cancel is 409', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const changesBefore = e.sim.stateChanges().length;
    // A planned failover waits for the split entries' next slot boundary (08:30): it runs a while.
    const started = await e.call('POST', 'failover', { body: { reason: 'region drill', kind: 'planned' } });
    expect(started.status).toBe(202);
    const id: string = started.body.operationId;
    await e.advance(5_000, 1_000);

    const noReason = await e.call('POST', `operations/${id}/cancel`, { body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.issues).toEqual([expect.objectContaining({ path: 'reason' })]);
    const extra = await e.call('POST', `operations/${id}/cancel`, { body: { reason: 'x', force: true } });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.body.issues)).toContain('force');
    const badId = await e.call('POST', 'operations/%20bad%20/cancel', { body: { reason: 'x' } });
    expect(badId.status).toBe(400);
    const reader = await e.call('POST', `operations/${id}/cancel`, {
      body: { reason: 'x' },
      principal: READER,
    });
    expect(reader.status).toBe(403);
    const other = await e.call('POST', 'operations/failover-9-20260302T080000/cancel', {
      body: { reason: 'wrong one' },
    });
    expect(other.status).toBe(409);
    expect(other.body.error).toBe(
      `failover-9-20260302T080000 is not running (the running operation is ${id})`,
    );
    expect(e.operations()[0]!.runtimeStatus).toBe('Running'); // nothing of that reached the operation

    const cancelled = await e.call('POST', `operations/${id}/cancel`, {
      body: { reason: 'drill called off' },
      principal: OPERATOR,
      idempotencyKey: 'cancel-drill',
    });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toEqual({
      operationId: id,
      status: 'cancelling',
      location: `/api/operations/${id}`,
    });
    expect(cancelled.headers.get('location')).toBe(`/api/operations/${id}`);
    // The same key again: the first answer, nothing raised twice.
    const again = await e.call('POST', `operations/${id}/cancel`, {
      body: { reason: 'drill called off' },
      principal: OPERATOR,
      idempotencyKey: 'cancel-drill',
    });
    expect(again.body).toEqual(cancelled.body);
    expect(
      auditLines(e.logs)
        .filter((a) => a.idempotencyKey === 'cancel-drill')
        .map((a) => [a.caller, a.reason, a.operationId, a.replayed]),
    ).toEqual([
      ['oncall@contoso.com', 'drill called off', id, false],
      ['oncall@contoso.com', 'drill called off', id, true],
    ]);

    // It stopped at its next step boundary (the slot wait), long before 08:30, with who and why.
    await e.advance(30_000, 1_000);
    const view = await e.call('GET', `operations/${id}`);
    expect(view.body.status).toBe('cancelled');
    expect(view.body.record.stopped).toMatchObject({
      outcome: 'cancelled',
      caller: { by: 'oncall@contoso.com', reason: 'drill called off' },
    });
    expect(e.sim.stateChanges().slice(changesBefore)).toEqual([]); // nothing changed in either region
    const status = await e.call('GET', 'status');
    expect(status.body.currentOperation ?? null).toBeNull();
    expect(status.body.mode).toBe('monitoring');

    const late = await e.call('POST', `operations/${id}/cancel`, { body: { reason: 'again' } });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(new RegExp(`^${id} is not running: it ended \\(cancelled\\)`));
  });
});
