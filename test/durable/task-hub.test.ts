/**
 * A task hub that does not grow forever: /api/status reads the same instances on a hub holding 500
 * operations and 10,000 notifications as on an empty one; /api/history pages by id prefix and created-time
 * window and still lists every operation in order; the retention timer purges finished notifications and
 * operation sub-orchestrations older than DR_RETENTION, while operations (the audit records) stay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seedTaskHub, YEARS_OF_SERVICE, yearsBefore, type SeedCounts } from '../../bench/task-hub';
import { loadPlan } from '../../src/plan/load';
import {
  DELIVERY_PREFIX,
  OPERATION_PREFIX,
  ORCHESTRATIONS,
  monitorInstanceId,
} from '../../src/durable/contracts';
import { historyPage } from '../../src/http/history';
import { EXAMPLE_PLAN, START } from '../support/estate';
import { MIN, startApiEstate, type ApiEstate } from '../http/support';

const DAY = 86_400_000;
let estate: ApiEstate | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dr-taskhub-'));
  dirs.push(dir);
  return dir;
}

/** An estate over a task hub seeded with two years of finished operations and notifications, one minute in. */
async function seeded(counts: SeedCounts): Promise<ApiEstate> {
  const dir = storeDir();
  seedTaskHub(dir, loadPlan({ kind: 'file', path: EXAMPLE_PLAN }).plan.id, counts, yearsBefore(START));
  const e = (estate = await startApiEstate({ storeDir: dir }));
  await e.advance(MIN);
  return e;
}

/** Instances the route read through the Durable API (by id, or in query pages). */
async function readsOf(e: ApiEstate, path: string): Promise<{ instances: number; body: any }> {
  const before = e.host.durable.clientReads().instances;
  const r = await e.call('GET', path);
  expect(r.status, r.text).toBe(200);
  return { instances: e.host.durable.clientReads().instances - before, body: r.body };
}

/** An estate that has failed over once (a real operation and its notifications) over the given store. */
async function failedOver(dir: string): Promise<ApiEstate> {
  const e = await startApiEstate({ storeDir: dir });
  await e.advance(MIN);
  e.outage('westeurope', { kind: 'down' });
  await e.advance(4 * MIN);
  expect(e.monitor().lastOperation?.direction).toBe('failover');
  return e;
}

describe('task hub growth', () => {
  it('GET /api/status reads as many instances with 500 operations and 10,000 notifications as with none', async () => {
    const empty = await failedOver(storeDir());
    const onEmpty = await readsOf(empty, 'status');
    await empty.stop();

    const dir = storeDir();
    seedTaskHub(dir, empty.plan.id, YEARS_OF_SERVICE, yearsBefore(START));
    const e = (estate = await failedOver(dir));
    expect(e.host.durable.list().length).toBeGreaterThan(11_000);
    const onFull = await readsOf(e, 'status');
    // The monitor, the last operation by id, and the deliveries queued within the TTL: nothing older.
    expect(onFull.instances).toBe(onEmpty.instances);
    expect(onFull.instances).toBeLessThan(20);
    expect(onFull.body.notifications.delivered).toBe(onEmpty.body.notifications.delivered);
    expect(onFull.body.lastOperation.operationId).toBe(e.monitor().lastOperation!.operationId);
  });

  it('GET /api/history pages through every operation newest first, reading windows, not the hub', async () => {
    const e = await seeded({ operations: 120, entriesPerOperation: 2, notifications: 2_000 });
    const planId = e.plan.id;
    const all = e.host.durable.list();
    const expected = historyPage(planId, all, { limit: 100_000 }).items.map((i) => i.operationId);
    expect(expected).toHaveLength(120);

    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const { instances, body } = await readsOf(e, `history?limit=25${before ? `&before=${before}` : ''}`);
      // A window's operations and their sub-orchestrations, never the 2,000 notifications or the whole hub.
      expect(instances).toBeLessThan(all.length / 4);
      seen.push(...body.items.map((i: { operationId: string }) => i.operationId));
      if (!body.nextBefore) break;
      before = body.nextBefore;
    }
    expect(seen).toEqual(expected);
  });

  it('the retention timer purges finished notifications and sub-orchestrations older than 90 days; operations stay', async () => {
    const e = await seeded({ operations: 40, entriesPerOperation: 2, notifications: 400 });
    const planId = e.plan.id;
    const cutoff = e.host.clock.now() - 90 * DAY;
    const old = (prefix: string) =>
      e.host.durable
        .list()
        .filter((i) => i.instanceId.startsWith(prefix) && Date.parse(i.createdTime) < cutoff);
    const oldDeliveries = old(DELIVERY_PREFIX(planId)).length;
    const oldSubs = old(OPERATION_PREFIX(planId)).filter((i) => i.name !== ORCHESTRATIONS.operation).length;
    expect(oldDeliveries).toBeGreaterThan(300);
    expect(oldSubs).toBeGreaterThan(60);
    const total = e.host.durable.list().length;

    await e.host.invokeTimer('drPurgeTaskHub');

    expect(old(DELIVERY_PREFIX(planId))).toHaveLength(0);
    expect(old(OPERATION_PREFIX(planId)).every((i) => i.name === ORCHESTRATIONS.operation)).toBe(true);
    expect(e.host.durable.list().length).toBe(total - oldDeliveries - oldSubs);
    // Younger ones and every operation stay; the monitor runs on.
    expect(e.host.durable.list().filter((i) => i.name === ORCHESTRATIONS.operation)).toHaveLength(40);
    expect(e.host.durable.getStatus(monitorInstanceId(planId))?.runtimeStatus).toBe('Running');
    const history = await e.call('GET', 'history?limit=100');
    expect(history.body.items).toHaveLength(40);
    const summary = e.logs.find((l) => l.message.startsWith('{"event":"taskhub.purged"'));
    expect(JSON.parse(summary!.message)).toMatchObject({
      deliveries: oldDeliveries,
      subOrchestrations: oldSubs,
      capped: false,
    });
  });
});
