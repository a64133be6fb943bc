/**
 * `npm start` with a plan, i.e. against Azure: here "Azure" is the ARM simulator, reached the way a
 * sovereign cloud would be (DR_ARM_ENDPOINT + DR_ARM_CA_FILE) with the shipped DefaultAzureCredential, which
 * gets its tokens from a local managed-identity endpoint (IDENTITY_ENDPOINT, as in a Function App), and the
 * local broker through DR_SERVICEBUS_CONNECTION. It must say loudly that it changes real Logic Apps, and never print
 * the function key, which guards real failovers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load';
import { startArmSimulator, type ArmSimulator } from '../../local/sim/arm';
import { loadEntryDefinitions, sampleEstateSeed } from '../../local/sim/sample-estate';
import { startIdentityEndpoint, type IdentityEndpoint } from '../../local/sim/identity';
import { startServiceBusBroker, type ServiceBusBroker } from '../../local/sim/servicebus';
import { EXAMPLE_PLAN, ROOT } from '../support/estate';
import { freePort, until } from './child';

const dir = mkdtempSync(join(tmpdir(), 'dr-start-azure-'));
let sim: ArmSimulator;
let broker: ServiceBusBroker;
let identity: IdentityEndpoint;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const { plan } = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
  sim = await startArmSimulator({
    seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, EXAMPLE_PLAN)),
    followRealTimeMs: 250,
  });
  broker = await startServiceBusBroker({
    topics: [{ name: plan.notifications!.serviceBus!.topic!, subscriptions: ['audit'] }],
  });
  identity = await startIdentityEndpoint();
  writeFileSync(join(dir, 'arm-ca.pem'), sim.caCertPem);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await broker?.stop();
  await identity?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  ready: RegExpExecArray;
  exited: Promise<number | null>;
}

async function start(name: string, env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['local/start/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DURABLE_STORE_DIR: join(dir, `${name}-store`),
      DR_PLAN_PATH: EXAMPLE_PLAN,
      IDENTITY_ENDPOINT: identity.url,
      IDENTITY_HEADER: identity.header,
      DR_ARM_ENDPOINT: sim.armEndpoint,
      DR_ARM_CA_FILE: join(dir, 'arm-ca.pem'),
      DR_SERVICEBUS_CONNECTION: 'DR_TEST_BUS',
      DR_TEST_BUS: broker.connectionString,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await until(`the READY line of ${name}`, 45_000, async () => {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
    return /^READY api=(\S+) (key-file|key-from)=(\S+)$/m.exec(out) ?? undefined;
  });
  expect(ready[1]).toBe(`http://127.0.0.1:${port}/api`);
  return { child, output: () => out, ready, exited };
}

async function stop(s: Started): Promise<void> {
  s.child.kill('SIGINT');
  expect(await s.exited).toBe(0);
  expect(s.output()).toContain('stopped cleanly');
}

describe('npm start against "Azure" (a plan and ARM settings in the environment)', () => {
  it('says loudly that it changes real Logic Apps, never prints the generated key, and serves the API with it', async () => {
    const s = await start('generated', { DR_WATCHDOG_SCHEDULE: '* * * * * *' });
    const [, api, how, where] = s.ready;
    expect(s.output()).toContain('RUNNING AGAINST AZURE: failovers started here change REAL Logic Apps.');
    expect(s.output()).toContain(`ARM: Azure Resource Manager at ${sim.armEndpoint}`);
    expect(s.output()).toContain('primary westeurope -> secondary northeurope');
    expect(s.output()).not.toContain('LOCAL DEMO');
    // The key is in an owner-only file next to the durable store, and the banner says so instead of showing it.
    expect(how).toBe('key-file');
    expect(where).toBe(join(dir, 'generated-store', 'function-key'));
    expect(statSync(where!).mode & 0o777).toBe(0o600);
    const key = readFileSync(where!, 'utf8').trim();
    expect(key.length).toBeGreaterThanOrEqual(20);
    expect(s.output()).toContain(`(header x-functions-key: generated, in ${where})`);

    expect((await fetch(`${api}/status`)).status).toBe(401);
    const status = await until('the monitor probing the simulated primary', 30_000, async () => {
      const r = await fetch(`${api}/status`, { headers: { 'x-functions-key': key } });
      const body = r.status === 200 ? await r.json() : undefined;
      return body?.recentProbes?.at(-1)?.healthy ? body : undefined;
    });
    expect(status).toMatchObject({
      planId: 'contoso-orders-dr',
      mode: 'monitoring',
      activeRegion: 'primary',
      // No App Service Authentication here, and no DR_KEY_IS_OPERATOR: the key may only read.
      auth: { keyIsOperator: false, requirePrincipal: false, principalTrusted: false },
    });
    // The probe resolved its callback URL through ARM with a managed-identity token for that ARM's audience.
    expect(identity.issued.map((t) => t.resource)).toContain(new URL(sim.armEndpoint).origin);
    const pause = await fetch(`${api}/pause`, {
      method: 'POST',
      headers: { 'x-functions-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'key only', until: new Date(Date.now() + 600_000).toISOString() }),
    });
    expect(pause.status).toBe(403);
    expect((await pause.json()).error).toContain('DR_KEY_IS_OPERATOR=true');
    expect(s.output()).not.toContain('HTTP API: DR_KEY_IS_OPERATOR');
    await stop(s);
    expect(s.output()).not.toContain(key);
  }, 120_000);

  it('with FUNCTIONS_KEYS: points at the variable instead of echoing it; the watchdog follows the plan', async () => {
    const secret = 'fk-real-0123456789abcdefghij';
    const s = await start('given', { FUNCTIONS_KEYS: secret, DR_KEY_IS_OPERATOR: 'true' });
    const [, api, how, where] = s.ready;
    expect(how).toBe('key-from');
    expect(where).toBe('FUNCTIONS_KEYS');
    expect(s.output()).toContain('RUNNING AGAINST AZURE');
    // examples/plan.json probes every PT30S: the watchdog ticks at the same cadence.
    expect(s.output()).toMatch(/^ {2}watchdog {8}\*\/30 \* \* \* \* \*$/m);
    expect((await fetch(`${api}/status`, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    // 503 until the first tick (within 30 s), but past the key check.
    expect([200, 503]).toContain(
      (await fetch(`${api}/status`, { headers: { 'x-functions-key': secret } })).status,
    );
    // The opt-in is an app setting here, as in Azure, and it is said once, at start-up, as a warning.
    const warnings = s.output().match(/HTTP API: DR_KEY_IS_OPERATOR=true: any caller with a function key/g);
    expect(warnings).toHaveLength(1);
    await stop(s);
    expect(s.output()).not.toContain(secret);
  }, 120_000);
});
