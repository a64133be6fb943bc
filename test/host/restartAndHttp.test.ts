import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFunctionsHost, type FunctionsHost } from '../../local/host';
import { calls, resetCounters } from '../fixtures/functions-app/counters';

const app = path.resolve(__dirname, '../fixtures/functions-app');
const HOUR = 60 * 60 * 1000;
const SYSTEM_KEY = 'sys-key-test-0123456789';
const hosts: FunctionsHost[] = [];
let storeDir: string;

beforeEach(() => {
  resetCounters();
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inproc-host-'));
});
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  fs.rmSync(storeDir, { recursive: true, force: true });
});

async function start(
  options: Partial<Parameters<typeof startFunctionsHost>[0]> = {},
): Promise<FunctionsHost> {
  const h = await startFunctionsHost({
    files: [path.join(app, 'timers.ts'), path.join(app, 'clientHttp.ts')],
    checkDeterminism: true,
    functionKeys: ['fn-key'],
    ...options,
  });
  hosts.push(h);
  return h;
}

describe('persistence', () => {
  test('a new host over the same store continues mid-orchestration without re-running completed activities', async () => {
    const first = await start({ storeDir, startTime: '2025-03-01T00:00:00Z' });
    const id = first.durable.startNew('sleepy', { instanceId: 'sleeper' });
    await first.runUntilIdle();
    expect(calls.get('stamp:before')).toBe(1);
    await first.clock.advanceBy(HOUR);
    await first.stop();

    // The second host starts later than the timer is due: it fires at once.
    const second = await start({ storeDir, startTime: '2025-03-01T05:00:00Z' });
    expect(second.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    await second.runUntilIdle();
    const status = second.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ before: 'before', after: 'after' });
    expect(calls.get('stamp:before')).toBe(1);
    expect(calls.get('stamp:after')).toBe(1);
    expect(fs.readdirSync(path.join(storeDir, 'instances'))).toEqual(['sleeper.json']);
  });

  test('an activity whose result was never recorded runs again after a restart', async () => {
    const first = await start({ storeDir, maxConcurrentActivities: 0 });
    const id = first.durable.startNew('sleepy');
    await first.runUntilIdle();
    // With no activity slots the first activity is scheduled but never ran.
    expect(calls.get('stamp:before')).toBeUndefined();
    await first.stop();
    const second = await start({ storeDir });
    await second.runUntilIdle();
    expect(calls.get('stamp:before')).toBe(1);
    await second.clock.advanceBy(2 * HOUR);
    expect(second.durable.getStatus(id)?.runtimeStatus).toBe('Completed');
  });

  test('a crash after an activity ran but before its result was recorded: it runs again, once more', async () => {
    const first = await start({
      storeDir,
      crashAfterActivity: ({ name, input }) => name === 'stamp' && input === 'before',
    });
    const id = first.durable.startNew('sleepy');
    await first.runUntilIdle();
    expect(first.crashed).toBe(true);
    expect(calls.get('stamp:before')).toBe(1); // the side effect happened
    await first.stop();

    const second = await start({ storeDir });
    expect(second.crashed).toBe(false);
    await second.runUntilIdle();
    expect(calls.get('stamp:before')).toBe(2); // its result was lost with the host, so it ran again
    await second.clock.advanceBy(2 * HOUR);
    const status = second.durable.getStatus(id, { showHistory: true })!;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ before: 'before', after: 'after' });
    expect(calls.get('stamp:after')).toBe(1);
    // One schedule and one completion per activity: the re-run filled in the lost result, nothing doubled.
    const scheduled = status.history!.filter((e) => e.EventType === 4).map((e) => e.EventId);
    const completed = status.history!.filter((e) => e.EventType === 5).map((e) => e.TaskScheduledId);
    expect(scheduled).toHaveLength(2);
    expect(completed).toEqual(scheduled);
  });
});

describe('HTTP triggers and the durable client', () => {
  test('an HTTP client function starts an orchestration via df.getClient and reads its status', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/api/orchestrators/approval/order-7`, { method: 'POST' });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { id: string; runtimeStatus: string };
    expect(started.id).toBe('order-7');
    expect(['Pending', 'Running']).toContain(started.runtimeStatus);
    await h.runUntilIdle();

    const running = await fetch(`${h.url}/api/status/order-7`);
    expect(await running.json()).toMatchObject({ runtimeStatus: 'Running' });

    const raised = await fetch(`${h.url}/api/approve/order-7`, {
      method: 'POST',
      body: JSON.stringify('yes'),
    });
    expect(raised.status).toBe(202);
    await h.runUntilIdle();
    const done = await fetch(`${h.url}/api/status/order-7`);
    expect(await done.json()).toMatchObject({ runtimeStatus: 'Completed', output: { approved: 'yes' } });
  });

  test('getStatus of an unknown instance throws in the client; the handler turns it into its own 404', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/api/status/never-started`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { missing: string; error: string };
    expect(body.missing).toBe('never-started');
    expect(body.error).toMatch(/404/);
  });

  test('two concurrent starts of the same instance id make exactly one instance', async () => {
    const h = await start();
    const [a, b] = await Promise.all([
      fetch(`${h.url}/api/orchestrators/approval/singleton`, { method: 'POST' }),
      fetch(`${h.url}/api/orchestrators/approval/singleton`, { method: 'POST' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    await h.runUntilIdle();
    expect(h.durable.list().filter((s) => s.instanceId === 'singleton')).toHaveLength(1);
    expect(h.stats().executionsByFunction.approval).toBe(2); // one episode, replayed once for the check
  });

  test('a completed instance id can be started again (the old instance is replaced)', async () => {
    const h = await start();
    h.durable.startNew('approval', { instanceId: 'again' });
    await h.clock.advanceBy(24 * HOUR);
    expect(h.durable.getStatus('again')?.runtimeStatus).toBe('Completed');
    const res = await fetch(`${h.url}/api/orchestrators/approval/again`, { method: 'POST' });
    expect(res.status).toBe(202);
    await h.runUntilIdle();
    expect(h.durable.getStatus('again')?.runtimeStatus).toBe('Running');
  });

  test('authLevel function needs a key; route parameters, query and headers reach the handler', async () => {
    const h = await start();
    expect((await fetch(`${h.url}/api/keyed/5`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/keyed/5?code=wrong`)).status).toBe(401);
    const ok = await fetch(`${h.url}/api/keyed/5?q=x`, { headers: { 'x-functions-key': 'fn-key' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-fixture')).toBe('yes');
    expect(await ok.json()).toEqual({ item: 5, q: 'x' });
    expect((await fetch(`${h.url}/api/keyed/5?code=fn-key`)).status).toBe(200);
    // The {item:int} constraint and the method list both filter.
    expect((await fetch(`${h.url}/api/keyed/five?code=fn-key`)).status).toBe(404);
    expect((await fetch(`${h.url}/api/keyed/5?code=fn-key`, { method: 'POST' })).status).toBe(405);
  });

  test('a function that throws quoting its URL: 500, and the logged error has the key redacted', async () => {
    const logs: string[] = [];
    const h = await start({ log: (e) => logs.push(e.message) });
    const res = await fetch(`${h.url}/api/leaky/a?code=fn-key&x=1`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('fn-key');
    const threw = logs.filter((m) => m.includes("HTTP function 'leaky' threw"));
    expect(threw).toHaveLength(1);
    expect(threw[0]).toContain('/api/leaky/a?code=***&x=1');
    expect(logs.join('\n')).not.toContain('fn-key');
  });

  test('a malformed percent-escape is a 400 before the key check, an unknown route 404, never a 500', async () => {
    const logs: string[] = [];
    const h = await start({ log: (e) => logs.push(e.message) });
    expect((await fetch(`${h.url}/api/keyed/%zz?code=fn-key`)).status).toBe(400);
    expect((await fetch(`${h.url}/api/keyed/%zz`)).status).toBe(400);
    expect((await fetch(`${h.url}/api/%E0%A4%A/x`)).status).toBe(400);
    expect((await fetch(`${h.url}/durabletask/instances/%zz`)).status).toBe(400);
    expect((await fetch(`${h.url}/api/no/such/route?code=fn-key`)).status).toBe(404);
    expect((await fetch(`${h.url}/elsewhere?code=fn-key`)).status).toBe(404);
    expect(logs.join('\n')).not.toContain('fn-key');
  });

  test('the durable RPC routes answer like the extension, given the system key', async () => {
    const h = await start({ masterKey: SYSTEM_KEY });
    const rpc = `${h.url}/durabletask/`;
    const key = { 'x-functions-key': SYSTEM_KEY };
    const started = await fetch(`${rpc}orchestrators/approval/direct`, {
      method: 'POST',
      body: '{"a":1}',
      headers: key,
    });
    expect(started.status).toBe(202);
    const noSuch = await fetch(`${rpc}orchestrators/noSuchOrchestrator?code=${SYSTEM_KEY}`, {
      method: 'POST',
    });
    expect(noSuch.status).toBe(400);
    await h.runUntilIdle();
    const running = await fetch(`${rpc}instances/direct`, { headers: key });
    expect(running.status).toBe(202);
    expect(await running.json()).toMatchObject({
      name: 'approval',
      input: { a: 1 },
      runtimeStatus: 'Running',
    });
    const terminate = () =>
      fetch(`${rpc}instances/direct/terminate?reason=stop`, { method: 'POST', headers: key });
    expect((await terminate()).status).toBe(202);
    expect((await terminate()).status).toBe(410);
    expect((await fetch(`${rpc}instances/direct`, { headers: key })).status).toBe(400);
    expect((await fetch(`${rpc}instances/missing`, { headers: key })).status).toBe(404);
    // Basic authentication is how the durable client sends the key (from its RPC base URL's user info).
    const basic = (secret: string) => ({
      authorization: `Basic ${Buffer.from(`system:${secret}`).toString('base64')}`,
    });
    expect((await fetch(`${rpc}instances/direct`, { headers: basic(SYSTEM_KEY) })).status).toBe(400);
    expect((await fetch(`${rpc}instances/direct`, { headers: basic('wrong') })).status).toBe(401);
    // ... and only on the Durable routes: a function key never goes as Basic.
    const keyed = await fetch(`${h.url}/api/keyed/5`, {
      headers: { authorization: `Basic ${Buffer.from('x:fn-key').toString('base64')}` },
    });
    expect(keyed.status).toBe(401);
    expect((await fetch(`${rpc}instances/direct`, { method: 'DELETE', headers: key })).status).toBe(200);
    expect((await fetch(`${rpc}instances/direct`, { headers: key })).status).toBe(404);
  });
});

describe('the Durable management routes need the system key', () => {
  // Without the key a caller could signal, terminate or purge any instance, unaudited.
  const ROUTES = ['/durabletask/', '/runtime/webhooks/durabletask/'];
  const CALLERS: [string, Record<string, string>, string][] = [
    ['no key', {}, ''],
    ['a wrong key', { 'x-functions-key': 'wrong' }, '?code=wrong'],
    ['the old constant default', { 'x-functions-key': 'inproc-system-key' }, '?code=inproc-system-key'],
    ['a function key', { 'x-functions-key': 'fn-key' }, '?code=fn-key'],
  ];

  test.each(ROUTES.flatMap((r) => CALLERS.map(([who, headers, query]) => [r, who, headers, query] as const)))(
    '%s with %s: 401 for every verb, and nothing changes',
    async (prefix, _who, headers, query) => {
      const h = await start();
      h.durable.startNew('approval', { instanceId: 'victim' });
      await h.runUntilIdle();
      const base = `${h.url}${prefix}`;
      const calls: [string, string, string?][] = [
        ['GET', `instances/victim`],
        ['GET', `instances`],
        ['POST', `instances/victim/raiseEvent/Approval`, '"forged"'],
        ['POST', `instances/victim/terminate?reason=x`],
        ['DELETE', `instances/victim`],
        ['DELETE', `instances?runtimeStatus=Running`],
        ['POST', `orchestrators/approval/intruder`, '{}'],
      ];
      for (const [method, path, body] of calls) {
        const sep = path.includes('?') ? query.replace('?', '&') : query;
        const res = await fetch(`${base}${path}${sep}`, { method, headers, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(await res.text()).not.toContain('fn-key');
      }
      await h.runUntilIdle();
      expect(h.durable.getStatus('victim')?.runtimeStatus).toBe('Running'); // not approved, terminated or purged
      expect(h.durable.getStatus('intruder')).toBeUndefined();
      expect(h.durable.list().map((s) => s.instanceId)).toEqual(['victim']);
    },
  );

  test('bodies are capped per route family (configurable): 413 and nothing started', async () => {
    const h = await start({ masterKey: SYSTEM_KEY, maxBodyBytes: 64, maxDurableBodyBytes: 1024 });
    const small = JSON.stringify('yes');
    const big = JSON.stringify('y'.repeat(100));
    const api = (body: string) =>
      fetch(`${h.url}/api/orchestrators/approval/capped`, { method: 'POST', body });
    expect((await api(big)).status).toBe(413);
    expect(h.durable.getStatus('capped')).toBeUndefined();
    expect((await api(small)).status).toBe(202);
    const rpc = (body: string) =>
      fetch(`${h.url}/durabletask/orchestrators/approval/rpc-capped`, {
        method: 'POST',
        headers: { 'x-functions-key': SYSTEM_KEY },
        body,
      });
    expect((await rpc(JSON.stringify({ pad: 'z'.repeat(1100) }))).status).toBe(413);
    expect(h.durable.getStatus('rpc-capped')).toBeUndefined();
    expect((await rpc(big)).status).toBe(202); // over the API cap, within the Durable one
  });

  test('without a master key the host generates its key: the durable client still works', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/api/orchestrators/approval/through-client`, { method: 'POST' });
    expect(res.status).toBe(202);
    await h.runUntilIdle();
    expect(h.durable.getStatus('through-client')?.runtimeStatus).toBe('Running');
  });
});
