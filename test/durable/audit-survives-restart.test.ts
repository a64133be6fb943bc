/**
 * Audit records survive restarts (issue 5): a finished failover is still listed by GET /api/history, with its
 * record behind GET /api/operations/{id}, after the host restarts on the same task hub store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN, startApiEstate, type ApiEstate } from '../http/support';

let estate: ApiEstate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

describe('audit records', () => {
  it('a completed failover is listed by GET /api/history after a host restart', async () => {
    const e = (estate = await startApiEstate({ storeDir: mkdtempSync(join(tmpdir(), 'dr-store-')) }));
    await e.advance(5 * MIN);
    e.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await e.advance(20 * MIN);
    const before = await e.call('GET', 'history');
    expect(before.status).toBe(200);
    expect(before.body.items).toHaveLength(1);
    const item = before.body.items[0];
    expect(item).toMatchObject({ direction: 'failover', trigger: 'automatic', status: 'succeeded' });
    const record = (await e.call('GET', `operations/${item.operationId}`)).body.record;
    expect(record.timeline.at(-1).event).toBe('failover succeeded');

    await e.restartHost();
    const after = await e.call('GET', 'history');
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
    const reread = await e.call('GET', `operations/${item.operationId}`);
    expect(reread.status).toBe(200);
    expect(reread.body.record).toEqual(record);
  });
});
