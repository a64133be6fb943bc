// Behaviour an operator relies on: recurrences on the virtual clock, faults, throttling, logs, control API.
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LogicManagementClient } from '@azure/arm-logic';
import {
  SimInputError,
  startArmSimulator,
  type ArmSimulator,
  type SimWorkflowSummary,
} from '../../../local/sim/arm';
import { ArmThrottle } from '../../../local/sim/arm/throttle';
import {
  armUrl,
  healthDefinition,
  rawRequest,
  recurrenceDefinition,
  specProblemsInLog,
  SUB,
  SUB2,
  workflowPath,
} from './helpers';
import { oneSubscriptionSeed, simLogicClient } from '../../support/arm-sim';

const started: ArmSimulator[] = [];

async function start(options: Parameters<typeof startArmSimulator>[0] = {}): Promise<ArmSimulator> {
  const sim = await startArmSimulator({ recordBodies: true, ...options });
  started.push(sim);
  return sim;
}

afterAll(async () => {
  for (const sim of started) {
    // Every simulator of this file also answered within the spec.
    expect(specProblemsInLog(sim.requestLog()).problems).toEqual([]);
    await sim.stop();
  }
});

/** Twin `job` workflows: enabled in West Europe, disabled in North Europe (a must-not-overlap pair). */
function twinSeed(recurrence: Record<string, unknown> = {}) {
  return oneSubscriptionSeed(SUB, [
    {
      name: 'rg-weu',
      location: 'West Europe',
      workflows: [
        { name: 'job', definition: recurrenceDefinition(recurrence) },
        { name: 'health', definition: healthDefinition() },
      ],
    },
    {
      name: 'rg-neu',
      location: 'North Europe',
      workflows: [
        { name: 'job', state: 'Disabled' as const, definition: recurrenceDefinition(recurrence) },
        { name: 'health', definition: healthDefinition() },
      ],
    },
  ]);
}

const slots = (sim: ArmSimulator, rg: string): string[] =>
  sim
    .runs()
    .filter((r) => r.resourceGroup === rg && r.workflowName === 'job' && r.origin === 'recurrence')
    .map((r) => r.slotTime);

async function setState(
  sim: ArmSimulator,
  rg: string,
  name: string,
  action: 'enable' | 'disable',
): Promise<void> {
  const res = await rawRequest(sim, armUrl(sim, `${workflowPath(SUB, rg, name)}/${action}`), {
    method: 'POST',
  });
  expect(res.status).toBe(200);
}

describe('recurrences on the virtual clock', () => {
  it('an enabled workflow fires at its slots, its disabled twin never, and nothing is back-filled', async () => {
    const sim = await start({ now: new Date('2025-01-01T00:30:00Z'), seed: twinSeed() });
    const fired = sim.advanceTo(new Date('2025-01-01T03:30:00Z'));
    expect(fired.map((r) => [r.region, r.slotTime])).toEqual([
      ['westeurope', '2025-01-01T01:00:00.000Z'],
      ['westeurope', '2025-01-01T02:00:00.000Z'],
      ['westeurope', '2025-01-01T03:00:00.000Z'],
    ]);
    expect(slots(sim, 'rg-neu')).toEqual([]);

    // Fail over at 03:30: West Europe off, North Europe on.
    await setState(sim, 'rg-weu', 'job', 'disable');
    await setState(sim, 'rg-neu', 'job', 'enable');
    sim.advanceBy(2 * 3600_000);
    expect(slots(sim, 'rg-neu')).toEqual(['2025-01-01T04:00:00.000Z', '2025-01-01T05:00:00.000Z']);

    // Fail back at 05:30: West Europe's 04:00 and 05:00 slots passed while disabled and stay missed.
    await setState(sim, 'rg-neu', 'job', 'disable');
    await setState(sim, 'rg-weu', 'job', 'enable');
    sim.advanceTo(new Date('2025-01-01T06:30:00Z'));
    expect(slots(sim, 'rg-weu')).toEqual([
      '2025-01-01T01:00:00.000Z',
      '2025-01-01T02:00:00.000Z',
      '2025-01-01T03:00:00.000Z',
      '2025-01-01T06:00:00.000Z',
    ]);
    expect(slots(sim, 'rg-neu')).toHaveLength(2);

    // The runs are visible through ARM too, newest first, with the slot as scheduledTime.
    const listed = await rawRequest(sim, armUrl(sim, `${workflowPath(SUB, 'rg-weu', 'job')}/runs`));
    const runs = JSON.parse(listed.body).value as {
      properties: { trigger: { scheduledTime: string }; status: string };
    }[];
    expect(runs.map((r) => r.properties.trigger.scheduledTime)).toEqual([
      '2025-01-01T06:00:00.000Z',
      '2025-01-01T03:00:00.000Z',
      '2025-01-01T02:00:00.000Z',
      '2025-01-01T01:00:00.000Z',
    ]);
    expect(new Set(runs.map((r) => r.properties.status))).toEqual(new Set(['Succeeded']));
  });

  it('the state-change log shows the twins never enabled at the same time', async () => {
    const sim = await start({ now: new Date('2025-01-01T00:00:00Z'), seed: twinSeed() });
    await setState(sim, 'rg-weu', 'job', 'disable');
    await setState(sim, 'rg-neu', 'job', 'enable');
    const changes = sim.stateChanges().filter((c) => c.workflowName === 'job');
    expect(changes.map((c) => [c.region, c.from, c.to, c.cause])).toEqual([
      ['westeurope', 'Absent', 'Enabled', 'seed'],
      ['northeurope', 'Absent', 'Disabled', 'seed'],
      ['westeurope', 'Enabled', 'Disabled', 'disable'],
      ['northeurope', 'Disabled', 'Enabled', 'enable'],
    ]);
    expect(changes.map((c) => c.seq)).toEqual([...changes.map((c) => c.seq)].sort((a, b) => a - b));
    for (const c of changes) {
      expect(Number.isNaN(Date.parse(c.realTime))).toBe(false);
      expect(c.virtualTime).toBe('2025-01-01T00:00:00.000Z');
    }
    // Replay the log: at most one of the twins is enabled after every change.
    const enabled = new Map<string, boolean>();
    for (const c of changes) {
      enabled.set(c.region, c.to === 'Enabled');
      expect([...enabled.values()].filter(Boolean).length).toBeLessThanOrEqual(1);
    }
  });

  it('without startTime the schedule is anchored at the enable time, which fires at once', async () => {
    const sim = await start({
      now: new Date('2025-03-01T10:17:00Z'),
      seed: twinSeed({ startTime: undefined, frequency: 'Minute', interval: 30 }),
    });
    expect(slots(sim, 'rg-weu')).toEqual(['2025-03-01T10:17:00.000Z']);
    sim.advanceTo(new Date('2025-03-01T11:20:00Z'));
    expect(slots(sim, 'rg-weu')).toEqual([
      '2025-03-01T10:17:00.000Z',
      '2025-03-01T10:47:00.000Z',
      '2025-03-01T11:17:00.000Z',
    ]);
    await setState(sim, 'rg-neu', 'job', 'enable');
    sim.advanceTo(new Date('2025-03-01T11:55:00Z'));
    expect(slots(sim, 'rg-neu')).toEqual(['2025-03-01T11:20:00.000Z', '2025-03-01T11:50:00.000Z']);
  });

  it('a workflow in a region that is down does not fire, and its missed slots are not back-filled', async () => {
    const sim = await start({ now: new Date('2025-01-01T00:30:00Z'), seed: twinSeed() });
    sim.outage('West Europe', { kind: 'down' });
    sim.advanceTo(new Date('2025-01-01T02:30:00Z'));
    expect(slots(sim, 'rg-weu')).toEqual([]);
    sim.restore('westeurope');
    sim.advanceTo(new Date('2025-01-01T03:30:00Z'));
    expect(slots(sim, 'rg-weu')).toEqual(['2025-01-01T03:00:00.000Z']);
  });

  it('Standard workflows fire like consumption ones unless their FlowState is Disabled; SlidingWindow too', async () => {
    const sliding = {
      type: 'SlidingWindow',
      recurrence: { frequency: 'Minute', interval: 15, startTime: '2025-01-01T00:00:00Z' },
    };
    const sim = await start({
      now: new Date('2025-01-01T00:05:00Z'),
      seed: oneSubscriptionSeed(SUB, [
        {
          name: 'rg-std',
          location: 'swedencentral',
          sites: [
            {
              name: 'la-std',
              workflows: [
                { name: 'on', definition: { triggers: { w: sliding } } },
                { name: 'off', state: 'Disabled', definition: { triggers: { w: sliding } } },
              ],
            },
          ],
        },
      ]),
    });
    sim.advanceTo(new Date('2025-01-01T00:35:00Z'));
    expect(sim.runs().map((r) => [r.plan, r.workflowName, r.slotTime])).toEqual([
      ['standard', 'on', '2025-01-01T00:15:00.000Z'],
      ['standard', 'on', '2025-01-01T00:30:00.000Z'],
    ]);
  });

  it('can follow real time (npm start)', async () => {
    const sim = await start({ now: new Date('2025-01-01T00:00:00Z'), followRealTimeMs: 10 });
    await new Promise((r) => setTimeout(r, 80));
    expect(sim.clock.now().getTime()).toBeGreaterThan(Date.parse('2025-01-01T00:00:00Z'));
  });

  it('refuses to move the clock backwards', async () => {
    const sim = await start({ now: new Date('2025-01-01T00:00:00Z') });
    expect(() => sim.advanceTo(new Date('2024-12-31T23:00:00Z'))).toThrow(SimInputError);
    expect(() => sim.advanceBy(-1)).toThrow(/advanceBy\.ms/);
  });
});

describe('callback URLs and the health check', () => {
  let sim: ArmSimulator;
  let logic: LogicManagementClient;
  beforeAll(async () => {
    sim = await start({ now: new Date('2025-01-01T00:00:00Z'), seed: twinSeed() });
    logic = simLogicClient(sim, SUB);
  });
  afterEach(async () => {
    sim.restore('westeurope');
    sim.setLatency(0);
    await sim.settle();
  });

  it('rejects a wrong signature and answers a disabled workflow with an error', async () => {
    const cb = await logic.workflowTriggers.listCallbackUrl('rg-weu', 'health', 'manual');
    const forged = cb.value!.replace(/sig=[^&]+/, 'sig=forged');
    const bad = await rawRequest(sim, forged, { token: null });
    expect([bad.status, JSON.parse(bad.body).error.code]).toEqual([
      401,
      'DirectApiInvalidAuthorizationSignature',
    ]);
    const missing = await rawRequest(sim, cb.value!.replace(/&sig=[^&]+/, ''), { token: null });
    expect(missing.status).toBe(401);

    await logic.workflows.disable('rg-weu', 'health');
    const disabled = await rawRequest(sim, cb.value!, { token: null });
    expect([disabled.status, JSON.parse(disabled.body).error.code]).toEqual([409, 'WorkflowDisabled']);
    await logic.workflows.enable('rg-weu', 'health');
    expect((await rawRequest(sim, cb.value!, { token: null })).status).toBe(200);
  });

  it('unhealthy: 500, or 200 with an unhealthy body', async () => {
    const cb = await logic.workflowTriggers.listCallbackUrl('rg-weu', 'health', 'manual');
    sim.outage('westeurope', { kind: 'unhealthy' });
    expect((await rawRequest(sim, cb.value!, { token: null })).status).toBe(500);
    sim.outage('westeurope', { kind: 'unhealthy', mode: 'body' });
    const body = await rawRequest(sim, cb.value!, { token: null });
    expect([body.status, JSON.parse(body.body)]).toEqual([200, { status: 'Unhealthy' }]);
    // North Europe is untouched.
    const other = await logic.workflowTriggers.listCallbackUrl('rg-neu', 'health', 'manual');
    expect(JSON.parse((await rawRequest(sim, other.value!, { token: null })).body)).toEqual({
      status: 'Healthy',
    });
  });

  it('down/refused: the runtime refuses connections and ARM resets them; restore brings back the same URL', async () => {
    const cb = await logic.workflowTriggers.listCallbackUrl('rg-weu', 'health', 'manual');
    sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    await expect(rawRequest(sim, cb.value!, { token: null })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')))).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    // The other region keeps answering.
    expect((await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-neu', 'job')))).status).toBe(200);
    expect(sim.requestLog().at(-2)?.outcome).toBe('reset');

    sim.restore('westeurope');
    await sim.settle();
    expect((await rawRequest(sim, cb.value!, { token: null })).status).toBe(200);
  });

  it('down/hang: requests are held without an answer until restore', async () => {
    sim.outage('westeurope', { kind: 'down', mode: 'hang' });
    const pending = rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')), { timeoutMs: 5000 });
    const outcome = pending.then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(sim.requestLog().at(-1)?.outcome).toBe('held');
    sim.restore('westeurope');
    expect(await outcome).toBe('ECONNRESET');
  });

  it('slow adds latency; errors answers 500/503 with an ARM error body', async () => {
    sim.outage('westeurope', { kind: 'slow', latencyMs: 120 });
    const t0 = Date.now();
    expect((await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')))).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    expect(sim.requestLog().at(-1)?.durationMs).toBeGreaterThanOrEqual(110);
    sim.restore('westeurope', 'slow');
    sim.setLatency(80);
    const t1 = Date.now();
    await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-neu', 'job')));
    expect(Date.now() - t1).toBeGreaterThanOrEqual(75);
    sim.setLatency(0);

    sim.outage('westeurope', { kind: 'errors', rate: 1, statuses: [503] });
    const failed = await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')));
    expect([failed.status, JSON.parse(failed.body).error.code]).toEqual([503, 'ServiceUnavailable']);
    sim.outage('westeurope', { kind: 'errors', rate: 0 });
    expect((await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')))).status).toBe(200);
  });

  it('throttled: every ARM request of the region gets 429 with Retry-After', async () => {
    sim.outage('westeurope', { kind: 'throttled', retryAfterSeconds: 7 });
    const res = await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')));
    expect([res.status, res.headers['retry-after']]).toEqual([429, '7']);
  });

  it('rejects a malformed fault with the field named', () => {
    expect(() => sim.outage('westeurope', { kind: 'errors', rate: 2 })).toThrow(/outage\(westeurope\)\.rate/);
  });
});

describe('ARM throttling buckets', () => {
  it('refills over (injected) real time and reports remaining tokens', () => {
    let now = 0;
    const throttle = new ArmThrottle({ writes: { capacity: 2, refillPerSecond: 0.5 } }, () => now);
    expect(throttle.take(SUB, 'writes')).toEqual({ allowed: true, remaining: 1 });
    expect(throttle.take(SUB, 'writes')).toEqual({ allowed: true, remaining: 0 });
    expect(throttle.take(SUB, 'writes')).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
    // Another subscription has its own bucket.
    expect(throttle.take(SUB2, 'writes').allowed).toBe(true);
    now = 1000;
    expect(throttle.take(SUB, 'writes')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    now = 2000;
    expect(throttle.take(SUB, 'writes')).toEqual({ allowed: true, remaining: 0 });
    // Reads have ARM's defaults and are untouched.
    expect(throttle.take(SUB, 'reads')).toEqual({ allowed: true, remaining: 249 });
  });

  it('sends x-ms-ratelimit-remaining headers and 429 once a bucket is empty', async () => {
    let now = 0;
    const sim = await start({
      realNow: () => now,
      throttle: { reads: { capacity: 2, refillPerSecond: 1 } },
      seed: twinSeed(),
    });
    const get = () => rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'job')));
    expect((await get()).headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('1');
    expect((await get()).headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
    const throttled = await get();
    expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '1']);
    expect(JSON.parse(throttled.body).error.code).toBe('SubscriptionRequestsThrottled');
    now += 1000;
    expect((await get()).status).toBe(200);
    const write = await rawRequest(sim, armUrl(sim, `${workflowPath(SUB, 'rg-weu', 'job')}/disable`), {
      method: 'POST',
    });
    expect(write.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
  });
});

describe('seeding', () => {
  it('names the bad field of a seed', async () => {
    const sim = await start();
    await expect(
      sim.seed({
        subscriptions: [
          { id: SUB, resourceGroups: [{ name: 'rg', location: 'x', workflows: [{ name: 'w' }] }] },
        ],
      } as never),
    ).rejects.toThrow(/seed\.subscriptions\.0\.resourceGroups\.0\.workflows\.0\.definition/);
  });

  it('supports several subscriptions and opens a runtime listener per region', async () => {
    const sim = await start({
      seed: {
        subscriptions: [
          {
            id: SUB,
            resourceGroups: [
              { name: 'a', location: 'West Europe', workflows: [{ name: 'w', definition: {} }] },
            ],
          },
          {
            id: SUB2,
            resourceGroups: [{ name: 'b', location: 'eastus', workflows: [{ name: 'w', definition: {} }] }],
          },
        ],
      },
    });
    expect(sim.regions()).toEqual(['eastus', 'westeurope']);
    expect(sim.runtimeEndpoint('West Europe')).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.runtimeEndpoint('eastus')).not.toBe(sim.runtimeEndpoint('westeurope'));
    const res = await rawRequest(sim, armUrl(sim, workflowPath(SUB2, 'b', 'w')));
    expect(JSON.parse(res.body).location).toBe('eastus');
  });
});

interface ControlJson {
  now: string;
  faults: { down?: string };
  fired: unknown[];
  regions: Record<string, unknown>;
  recurrenceSlots: Record<string, Record<string, string[]>>;
  workflows: SimWorkflowSummary[];
  error: { message: string };
  routes: { route: string; what: string }[];
}

function controlRequest(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: ControlJson }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString()) as ControlJson,
        }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

describe('request log', () => {
  it('numbers the TLS connection each request came in on: kept-alive requests share one, a new one is next', async () => {
    const sim = await start({ seed: twinSeed() });
    const client = simLogicClient(sim, SUB);
    await client.workflows.get('rg-weu', 'job');
    await client.workflows.get('rg-neu', 'job');
    await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'rg-weu', 'health'))); // its own connection
    await client.workflows.disable('rg-weu', 'job');
    const [first, second, raw, write] = sim.requestLog().map((r) => r.connection);
    expect(first).toBeGreaterThan(0);
    expect([second, write]).toEqual([first, first]);
    expect(raw).toBe(first! + 1);
  });
});

describe('HTTP control endpoints', () => {
  it('injects and clears outages, advances the clock, and reports workflows and runs', async () => {
    const sim = await start({
      now: new Date('2025-01-01T00:30:00Z'),
      seed: twinSeed(),
      controlPort: 0,
      controlInfo: { hostUrl: 'http://127.0.0.1:7071' },
    });
    const base = sim.controlEndpoint!;
    const info = await controlRequest(base, 'GET', '/sim/info');
    expect(info.json).toMatchObject({
      armEndpoint: sim.armEndpoint,
      caCertPem: sim.caCertPem,
      hostUrl: 'http://127.0.0.1:7071',
    });
    expect(Object.keys(info.json.regions)).toEqual(['northeurope', 'westeurope']);

    const outage = await controlRequest(base, 'POST', '/sim/regions/West%20Europe/outage', { kind: 'down' });
    expect([outage.status, outage.json.faults.down]).toEqual([200, 'refused']);
    const advanced = await controlRequest(base, 'POST', '/sim/clock/advance', { ms: 3600_000 });
    expect([advanced.status, advanced.json.now, advanced.json.fired]).toEqual([
      200,
      '2025-01-01T01:30:00.000Z',
      [],
    ]);
    expect((await controlRequest(base, 'POST', '/sim/regions/westeurope/restore')).status).toBe(200);
    await controlRequest(base, 'POST', '/sim/clock/advance', { to: '2025-01-01T02:30:00Z' });

    const runs = await controlRequest(base, 'GET', '/sim/runs');
    const weuJob = `/subscriptions/${SUB}/resourceGroups/rg-weu/providers/Microsoft.Logic/workflows/job`;
    expect(runs.json.recurrenceSlots).toEqual({ [weuJob]: { westeurope: ['2025-01-01T02:00:00.000Z'] } });
    const workflows = await controlRequest(base, 'GET', '/sim/workflows');
    expect(workflows.json.workflows.map((w) => [w.resourceGroup, w.name, w.region, w.state])).toEqual([
      ['rg-weu', 'job', 'westeurope', 'Enabled'],
      ['rg-weu', 'health', 'westeurope', 'Enabled'],
      ['rg-neu', 'job', 'northeurope', 'Disabled'],
      ['rg-neu', 'health', 'northeurope', 'Enabled'],
    ]);
  });

  it('GET /sim lists its routes; restore with {} restores everything, as with no body', async () => {
    const sim = await start({ seed: twinSeed(), controlPort: 0 });
    const base = sim.controlEndpoint!;
    const index = await controlRequest(base, 'GET', '/sim');
    expect(index.status).toBe(200);
    expect(index.json.routes.map((r) => r.route)).toEqual(
      expect.arrayContaining([
        'GET /sim/info',
        'POST /sim/regions/{region}/outage',
        'POST /sim/regions/{region}/restore',
        'GET /sim/workflows',
      ]),
    );
    await controlRequest(base, 'POST', '/sim/regions/westeurope/outage', { kind: 'down' });
    await controlRequest(base, 'POST', '/sim/regions/westeurope/outage', { kind: 'slow', latencyMs: 100 });
    const restored = await controlRequest(base, 'POST', '/sim/regions/westeurope/restore', {});
    expect([restored.status, restored.json.faults]).toEqual([200, null]);
  });

  it('refuses a fault on a region it does not have (a typo) with 404 naming the known ones', async () => {
    const sim = await start({ seed: twinSeed(), controlPort: 0 });
    const base = sim.controlEndpoint!;
    const typo = await controlRequest(base, 'POST', '/sim/regions/westeurop/outage', { kind: 'down' });
    expect(typo.status).toBe(404);
    expect(typo.json.error.message).toBe(
      "No region 'westeurop' in this simulator: known regions are northeurope, westeurope, global.",
    );
    expect(sim.faults()).toEqual({});
    expect((await controlRequest(base, 'POST', '/sim/regions/westeurop/restore')).status).toBe(404);
    // Front Door and Traffic Manager are global; a display name is the same region.
    const global = await controlRequest(base, 'POST', '/sim/regions/global/outage', { kind: 'down' });
    expect(global.status).toBe(200);
    expect((await controlRequest(base, 'POST', '/sim/regions/global/restore')).status).toBe(200);
    const display = await controlRequest(base, 'POST', '/sim/regions/North%20Europe/outage', {
      kind: 'down',
    });
    expect(display.status).toBe(200);
  });

  it('answers 400 with a clear message on bad bodies', async () => {
    const sim = await start({ controlPort: 0 });
    const base = sim.controlEndpoint!;
    const badKind = await controlRequest(base, 'POST', '/sim/regions/westeurope/outage', { kind: 'meteor' });
    expect(badKind.status).toBe(400);
    expect(badKind.json.error.message).toMatch(/body\.kind/);
    const notJson = await controlRequest(base, 'POST', '/sim/clock/advance', '{nope');
    expect([notJson.status, notJson.json.error.message]).toEqual([
      400,
      'POST /sim/clock/advance: body is not valid JSON',
    ]);
    const negative = await controlRequest(base, 'POST', '/sim/clock/advance', { ms: -5 });
    expect(negative.status).toBe(400);
    expect((await controlRequest(base, 'GET', '/sim/nothing')).status).toBe(404);
  });
});

describe('stop', () => {
  it('closes the ARM, runtime and control listeners', async () => {
    const sim = await startArmSimulator({ seed: twinSeed(), controlPort: 0 });
    const arm = armUrl(sim, workflowPath(SUB, 'rg-weu', 'job'));
    const runtime = sim.runtimeEndpoint('westeurope')!;
    const control = sim.controlEndpoint!;
    expect((await rawRequest(sim, arm)).status).toBe(200);
    await sim.stop();
    await expect(rawRequest(sim, arm)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(rawRequest(sim, runtime)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(controlRequest(control, 'GET', '/sim/info')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(() => sim.advanceBy(1)).toThrow(/stopped/);
  });
});
