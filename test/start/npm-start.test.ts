/**
 * `npm start` as a user runs it: a child process on free ports, driven only over HTTP (`/sim` and `/api`),
 * stopped with SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { drillSplitAnchor } from '../../local/drill/command';
import { ROOT } from '../support/estate';
import { freePort, portIsFree, until } from './child';

let child: ChildProcess | undefined;
const store = mkdtempSync(join(tmpdir(), 'dr-start-store-'));
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(store, { recursive: true, force: true });
});

describe('npm start (embedded estate, child process)', () => {
  it('fails over by itself on an outage, fails back on request, and stops cleanly on SIGINT', async () => {
    // What `npm start` runs, started the same way minus npm (npm does not pass a lone SIGINT on to its child).
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.start).toBe('tsx local/start/main.ts');
    const [port, simPort] = [await freePort(), await freePort()];
    child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['local/start/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        SIM_PORT: String(simPort),
        DURABLE_STORE_DIR: store,
        // The next split slot boundary ~20 s from now, so the failback's wait for it stays short.
        DR_LOCAL_SPLIT_ANCHOR: drillSplitAnchor(Date.now()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const ready = await until(
      'the READY banner',
      30_000,
      async () => /READY api=(\S+) sim=(\S+) key=(\S+) sim-key=(\S+)/.exec(out) ?? undefined,
    );
    const [, api, sim, key, simKey] = ready;
    expect(api).toBe(`http://127.0.0.1:${port}/api`);
    expect(sim).toBe(`http://127.0.0.1:${simPort}/sim`);
    expect(out).toContain('shortened for the local demo');
    expect(out).toContain('LOCAL DEMO');
    // The demo key operates (it guards a simulator), and the banner says so.
    expect(out).toContain('key-is-operator on: the demo key may fail over, fail back, pause and resume');
    const headers = { 'x-functions-key': key!, 'content-type': 'application/json' };
    const status = async () => await (await fetch(`${api}/status`, { headers })).json();

    // The sim control API needs its generated key (it shows the function key and injects outages).
    expect(simKey).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(simKey).not.toBe(key);
    const simHeaders = { 'x-functions-key': simKey! };
    expect((await fetch(`${sim}/info`)).status).toBe(401);
    expect((await fetch(`${sim}/info`, { headers: { 'x-functions-key': key! } })).status).toBe(401);
    const forged = await fetch(`${sim}/regions/westeurope/outage`, {
      method: 'POST',
      body: '{"kind":"down"}',
    });
    expect(forged.status).toBe(401);
    // The sim control API: info with the plan, workflows, a notification list.
    const info = await (await fetch(`${sim}/info?code=${simKey}`)).json();
    expect(info.armEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.caCertPem).toContain('BEGIN CERTIFICATE');
    expect(info.plan.policy.probeInterval).toBe('PT2S');
    const workflows = await (await fetch(`${sim}/workflows`, { headers: simHeaders })).json();
    expect(workflows.workflows.length).toBeGreaterThan(10);
    expect((await fetch(`${api}/status`)).status).toBe(401); // the key is required

    const healthy = await until('monitoring a healthy primary', 20_000, async () => {
      const s = await status();
      return s.mode === 'monitoring' && s.recentProbes?.at(-1)?.healthy ? s : undefined;
    });
    expect(healthy.auth).toEqual({ keyIsOperator: true, requirePrincipal: false, principalTrusted: true });

    // A caller's request through orders-api's router (APIM): listed in GET /sim, runs in the primary now.
    const routes = await (await fetch(sim!, { headers: simHeaders })).json();
    expect(routes.routes.map((r: any) => r.route)).toContain('POST /sim/router/{entry}');
    const through = async () => {
      const res = await fetch(`${sim}/router/orders-api`, {
        method: 'POST',
        headers: simHeaders,
        body: '{}',
      });
      return { status: res.status, body: await res.json() };
    };
    const before = await through();
    expect(before).toMatchObject({ status: 200, body: { fate: 'ran:westeurope', outcome: 'ran' } });
    expect(before.body.routedTo).toMatch(/^apiManagement apim-orders\/backends\/orders-api -> https:/);
    expect(before.body.routedTo).toContain('sig=***'); // the signature is a secret: never shown
    const unknown = await fetch(`${sim}/router/no-such-entry`, { method: 'POST', headers: simHeaders });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toMatch(/no entry 'no-such-entry'.*orders-api/);
    const noRouter = await fetch(`${sim}/router/order-webhook`, { method: 'POST', headers: simHeaders });
    expect(noRouter.status).toBe(400);

    // Outage of the primary: the automatic failover shows up in /api/status.
    const outage = await fetch(`${sim}/regions/westeurope/outage`, {
      method: 'POST',
      headers: simHeaders,
      body: '{"kind":"down"}',
    });
    expect(outage.status).toBe(200);
    const failedOver = await until('the automatic failover', 30_000, async () => {
      const s = await status();
      return s.mode === 'failed-over' && s.lastOperation?.finishedAt ? s : undefined;
    });
    expect(failedOver.activeRegion).toBe('secondary');
    expect(failedOver.lastOperation).toMatchObject({
      direction: 'failover',
      trigger: 'automatic',
      outcome: 'succeeded',
    });
    // The router was switched as the failover's last step: the same call now runs in the secondary.
    expect(await through()).toMatchObject({ status: 200, body: { fate: 'ran:northeurope' } });
    const noted = await (await fetch(`${sim}/notifications`, { headers: simHeaders })).json();
    expect(noted.notifications.map((n: any) => n.type)).toContain('com.logicappsfailover.failover.completed');

    // Restore, then a manual (forced: the soak is 5 healthy probes) failback through the API.
    await fetch(`${sim}/regions/westeurope/restore`, { method: 'POST', headers: simHeaders });
    const failback = await fetch(`${api}/failback`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ reason: 'test: primary is back', force: true }),
    });
    expect(failback.status).toBe(202);
    const { operationId } = await failback.json();
    const back = await until('the failback to finish', 75_000, async () => {
      const s = await status();
      return s.lastOperation?.operationId === operationId && s.lastOperation.finishedAt ? s : undefined;
    });
    expect(back).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });
    expect(await through()).toMatchObject({ status: 200, body: { fate: 'ran:westeurope' } });
    expect(back.lastOperation).toMatchObject({
      direction: 'failback',
      trigger: 'manual',
      outcome: 'succeeded',
    });

    // The live log told the story (it polls the host every 250 ms, so give each line a moment to appear).
    await vi.waitFor(() => expect(out).toMatch(/probe\s+primary FAILED \(refused\)/), { timeout: 5_000 });
    // The watcher polls every 250 ms: under load it may see failing-back without the brief failed-over.
    await vi.waitFor(
      () => expect(out).toMatch(/monitor\s+mode \S+ -> (failed-over|failing-back), active region secondary/),
      { timeout: 5_000 },
    );
    await vi.waitFor(() => expect(out).toMatch(/operation \S+failover-\S+ finished: succeeded/), {
      timeout: 5_000,
    });
    await vi.waitFor(() => expect(out).toMatch(/monitor\s+mode \S+ -> monitoring, active region primary/), {
      timeout: 5_000,
    });
    await vi.waitFor(
      () => expect(out).toMatch(/action\s+enable secondary:order-webhook in northeurope: done/),
      {
        timeout: 5_000,
      },
    );
    await vi.waitFor(() => expect(out).toMatch(/notify\s+com\.logicappsfailover\.failback\.completed/), {
      timeout: 5_000,
    });

    // Ctrl-C: exit 0, every port closed.
    const armPort = Number(new URL(info.armEndpoint).port);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped cleanly');
    for (const p of [port, simPort, armPort]) expect(await portIsFree(p)).toBe(true);
  }, 150_000);
});
