/**
 * The health probe against small servers started here on 127.0.0.1 (port 0): TLS trust, DNS, refused and reset
 * connections, bodies, redirects, URL caching and dependency rules.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LogicAppsControl, WorkflowLocator } from '../../../src/adapters/logicapps/port';
import {
  createHealthProbe,
  type HealthProbeDeps,
  type HealthProbeOutcome,
} from '../../../src/adapters/probe';
import { PlanSchema, type HealthCheck, type Plan } from '../../../src/plan/schema';
import { generateSimCertificates, type SimCertificates } from '../../../local/sim/arm/cert';
import { minimalPlan } from '../../support/plans';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Running {
  url: string;
  hits: number;
  close(): Promise<void>;
}

const servers: Running[] = [];
/** Every detail any probe produced, checked for signatures at the end. */
const details: string[] = [];

async function serve(handler: Handler, tls?: { cert: string; key: string }): Promise<Running> {
  const sockets = new Set<Socket>();
  const running = { url: '', hits: 0, close: async () => undefined } as Running;
  const wrapped = (req: IncomingMessage, res: ServerResponse): void => {
    running.hits += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  };
  const server: Server = tls ? createHttpsServer(tls, wrapped) : createHttpServer(wrapped);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // An untrusting client aborts the handshake; that is the point of the test, not a server error.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  running.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  running.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  servers.push(running);
  return running;
}

const json =
  (status: number, body: unknown, delayMs = 0): Handler =>
  (_req, res) => {
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }, delayMs);
  };

let plan: Plan;
let certs: SimCertificates;

/** A LogicAppsControl whose only working method is getCallbackUrl; counts its calls. */
function fakeControl(getCallbackUrl: (t: WorkflowLocator, trigger: string) => Promise<string>) {
  const calls: { target: WorkflowLocator; trigger: string }[] = [];
  const unused = () => Promise.reject(new Error('not used by the probe'));
  const control: LogicAppsControl = {
    getWorkflow: unused,
    listWorkflows: () => ({ [Symbol.asyncIterator]: () => ({ next: unused }) }),
    getSiteWorkflows: unused,
    setSiteStates: unused,
    setState: unused,
    setRecurrence: unused,
    listTriggers: unused,
    listRunningRuns: unused,
    getCallbackUrl: (target, trigger) => {
      calls.push({ target, trigger });
      return getCallbackUrl(target, trigger);
    },
  };
  return { control, calls };
}

const noArm = fakeControl(() => Promise.reject(new Error('no ARM in this test'))).control;

const probeWith = (settings: Record<string, string | undefined>, extra: Partial<HealthProbeDeps> = {}) => {
  const probe = createHealthProbe({ control: noArm, plan, settings, ...extra });
  return async (hc: HealthCheck): Promise<HealthProbeOutcome> => {
    const outcome = await probe.probe(hc);
    for (const text of [outcome.detail, ...(outcome.dependencies ?? []).map((d) => d.result.detail)]) {
      if (text !== undefined) details.push(text);
    }
    return outcome;
  };
};

const viaSetting = (extra: Partial<HealthCheck> = {}): HealthCheck => ({
  urlSetting: 'HEALTH_URL',
  timeout: 'PT1S',
  ...extra,
});

beforeAll(async () => {
  plan = PlanSchema.parse(minimalPlan());
  certs = await generateSimCertificates();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => {
  expect(details.length).toBeGreaterThan(0);
  for (const text of details) expect(text).not.toMatch(/sig=(?!REDACTED)|TOPSECRET/i);
});

describe('transport failures and their classes', () => {
  it('fails with tls against a certificate it does not trust, and is healthy once the CA is given', async () => {
    const server = await serve(json(200, { status: 'Healthy' }), {
      cert: certs.serverCertPem,
      key: certs.serverKeyPem,
    });
    const untrusted = await probeWith({ HEALTH_URL: `${server.url}/health` })(viaSetting());
    expect(untrusted).toMatchObject({ healthy: false, failure: 'tls' });
    expect(untrusted.detail).toMatch(/CERT|certificate/);
    expect(server.hits).toBe(0);

    const otherCa = (await generateSimCertificates()).caCertPem;
    const wrongCa = await probeWith({ HEALTH_URL: `${server.url}/health` }, { ca: otherCa })(viaSetting());
    expect(wrongCa).toMatchObject({ healthy: false, failure: 'tls' });

    const trusted = await probeWith(
      { HEALTH_URL: `${server.url}/health` },
      { ca: certs.caCertPem },
    )(viaSetting());
    expect(trusted).toMatchObject({ healthy: true, status: 200 });
    expect(server.hits).toBe(1);
  });

  it('fails with dns for a host name that cannot resolve', async () => {
    const outcome = await probeWith({ HEALTH_URL: 'http://nonexistent.invalid/' })(viaSetting());
    expect(outcome).toMatchObject({ healthy: false, failure: 'dns' });
    expect(outcome.detail).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('fails with refused when nothing listens, and with reset when the server drops the connection', async () => {
    const gone = await serve(json(200, {}));
    const url = gone.url;
    await gone.close();
    expect(await probeWith({ HEALTH_URL: url })(viaSetting())).toMatchObject({
      healthy: false,
      failure: 'refused',
    });

    const dropping = await serve((req) => req.socket.destroy());
    expect(await probeWith({ HEALTH_URL: dropping.url })(viaSetting())).toMatchObject({
      healthy: false,
      failure: 'reset',
    });
  });

  it('fails with reset when the connection drops halfway through the body', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"status":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const outcome = await probeWith({ HEALTH_URL: server.url })(viaSetting());
    expect(outcome).toMatchObject({ healthy: false, failure: 'reset' });
  });

  it('times out on a server that accepts but never answers, at the configured timeout', async () => {
    const server = await serve(() => undefined);
    const started = performance.now();
    const outcome = await probeWith({ HEALTH_URL: server.url })(viaSetting({ timeout: 'PT0.3S' }));
    const elapsed = performance.now() - started;
    expect(outcome).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(outcome.detail).toContain('within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(700);
    expect(server.hits).toBe(1);
  });

  it('times out when the body trickles in slower than the timeout', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      const timer = setTimeout(() => res.end('"Healthy"}'), 2000);
      res.on('close', () => clearTimeout(timer));
    });
    const outcome = await probeWith({ HEALTH_URL: server.url })(viaSetting({ timeout: 'PT0.3S' }));
    expect(outcome).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(outcome.detail).toContain('reading the HTTP 200 response');
  });
});

describe('what counts as healthy', () => {
  it('stamps `at` from the given time, else from the injected clock', async () => {
    const server = await serve(json(200, {}));
    const clock = { now: () => Date.parse('2026-03-01T10:00:00Z') };
    const probe = createHealthProbe({ control: noArm, plan, settings: { HEALTH_URL: server.url }, clock });
    expect((await probe.probe(viaSetting())).at).toBe('2026-03-01T10:00:00.000Z');
    const at = new Date('2026-03-01T11:30:00Z');
    expect((await probe.probe(viaSetting(), at)).at).toBe('2026-03-01T11:30:00.000Z');
  });

  it('POSTs {} as JSON and follows no redirect', async () => {
    let seen: { method?: string; type?: string; body: string } | undefined;
    const target = await serve(json(200, {}));
    const server = await serve((req, res, body) => {
      seen = { method: req.method, type: req.headers['content-type'], body };
      res.writeHead(302, { location: target.url });
      res.end();
    });
    const outcome = await probeWith({ HEALTH_URL: server.url })(viaSetting());
    expect(seen).toEqual({ method: 'POST', type: 'application/json', body: '{}' });
    expect(outcome).toMatchObject({ healthy: false, status: 302, failure: 'status' });
    expect(target.hits).toBe(0);
  });

  it('fails with body when expectBody is set and the body is not JSON; passes on status alone without it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Service Unavailable</html>');
    });
    const probe = probeWith({ HEALTH_URL: server.url });
    const strict = await probe(viaSetting({ expectBody: { status: 'Healthy' } }));
    expect(strict).toMatchObject({ healthy: false, status: 200, failure: 'body' });
    expect(strict.detail).toContain('not JSON');
    expect(await probe(viaSetting())).toMatchObject({ healthy: true, status: 200 });
  });

  it('matches expectBody fields deep-equal, ignoring extra fields', async () => {
    const server = await serve(
      json(200, { status: 'Healthy', checks: { db: 'ok', queue: 'ok' }, build: 42 }),
    );
    const probe = probeWith({ HEALTH_URL: server.url });
    expect(
      await probe(viaSetting({ expectBody: { status: 'Healthy', checks: { db: 'ok', queue: 'ok' } } })),
    ).toMatchObject({
      healthy: true,
    });
    const partial = await probe(viaSetting({ expectBody: { checks: { db: 'ok' } } }));
    expect(partial).toMatchObject({ healthy: false, failure: 'body' });
    expect(partial.detail).toContain('checks: got {"db":"ok","queue":"ok"}, expected {"db":"ok"}');
    const missing = await probe(viaSetting({ expectBody: { region: 'westeurope' } }));
    expect(missing.detail).toContain('region: got missing, expected "westeurope"');
  });

  it('accepts the statuses in expectStatus and only those; a status failure wins over the body', async () => {
    const server = await serve(json(202, { status: 'Unhealthy' }));
    const probe = probeWith({ HEALTH_URL: server.url });
    expect(await probe(viaSetting())).toMatchObject({ healthy: false, status: 202, failure: 'status' });
    expect(await probe(viaSetting({ expectStatus: [200, 202] }))).toMatchObject({
      healthy: true,
      status: 202,
    });
    expect(await probe(viaSetting({ expectStatus: [200], expectBody: { status: 'Healthy' } }))).toMatchObject(
      { failure: 'status' },
    );
  });

  it('fails with error, naming the setting but never its value, when urlSetting is missing or not a URL', async () => {
    const missing = await probeWith({})(viaSetting());
    expect(missing).toMatchObject({ healthy: false, failure: 'error' });
    expect(missing.detail).toContain('app setting HEALTH_URL is missing or empty');
    expect((await probeWith({ HEALTH_URL: '  ' })(viaSetting())).failure).toBe('error');

    const bad = await probeWith({ HEALTH_URL: 'ftp://host/x?sig=TOPSECRET' })(viaSetting());
    expect(bad).toMatchObject({ healthy: false, failure: 'error' });
    expect(bad.detail).toContain('app setting HEALTH_URL does not hold an http(s) URL');
  });
});

describe('callback URL resolution and caching', () => {
  it('resolves the callback URL for the primary workflow once, and again after the URL answers 401', async () => {
    let validSig = 'TOPSECRET1';
    const server = await serve((req, res, body) => {
      const sig = new URL(req.url ?? '/', 'http://x').searchParams.get('sig');
      json(sig === validSig ? 200 : 401, sig === validSig ? { status: 'Healthy' } : { error: 'bad sig' })(
        req,
        res,
        body,
      );
    });
    const { control, calls } = fakeControl(
      async () => `${server.url}/workflows/abc/triggers/manual/paths/invoke?sp=x&sig=${validSig}`,
    );
    const probe = probeWith({}, { control });
    const hc: HealthCheck = { workflow: 'health', trigger: 'manual', timeout: 'PT1S' };

    for (let i = 0; i < 3; i += 1) expect(await probe(hc)).toMatchObject({ healthy: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      trigger: 'manual',
      target: { subscriptionId: plan.primary.subscriptionId, resourceGroup: 'rg-weu', name: 'health' },
    });

    validSig = 'TOPSECRET2'; // the access key was regenerated
    const rotated = await probe(hc);
    expect(rotated).toMatchObject({ healthy: false, status: 401, failure: 'status' });
    expect(await probe(hc)).toMatchObject({ healthy: true, status: 200 });
    expect(calls).toHaveLength(2);
  });

  it('shares one lookup between concurrent probes of the same trigger', async () => {
    const server = await serve(json(200, {}));
    const { control, calls } = fakeControl(
      () => new Promise((resolve) => setTimeout(() => resolve(`${server.url}/?sig=TOPSECRET`), 50)),
    );
    const probe = probeWith({}, { control });
    const hc: HealthCheck = { workflow: 'health', trigger: 'manual', timeout: 'PT1S' };
    const outcomes = await Promise.all([probe(hc), probe(hc), probe(hc)]);
    expect(outcomes.every((o) => o.healthy)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('asks ARM again after a lookup that never answered, instead of waiting on it forever', async () => {
    const server = await serve(json(200, {}));
    const { control, calls } = fakeControl(async () =>
      calls.length === 1 ? new Promise<string>(() => undefined) : `${server.url}/?sig=TOPSECRET`,
    );
    const probe = probeWith({}, { control });
    const hc: HealthCheck = { workflow: 'health', trigger: 'manual', timeout: 'PT0.2S' };
    const hung = await probe(hc);
    expect(hung).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(hung.detail).toContain('ARM gave no callback URL within 200 ms');
    expect(await probe(hc)).toMatchObject({ healthy: true });
    expect(calls).toHaveLength(2);
  });

  it('turns a failed lookup into a failure result with the signature redacted, and retries it next time', async () => {
    let fail = true;
    const server = await serve(json(200, {}));
    const { control, calls } = fakeControl(async () => {
      if (fail) {
        throw Object.assign(
          new Error(`connect ECONNREFUSED while calling https://arm/x?api-version=1&sig=TOPSECRET`),
          {
            code: 'REQUEST_SEND_ERROR',
          },
        );
      }
      return `${server.url}/?sig=TOPSECRET`;
    });
    const probe = probeWith({}, { control });
    const hc: HealthCheck = { workflow: 'health', trigger: 'manual', timeout: 'PT1S' };
    const failed = await probe(hc);
    expect(failed).toMatchObject({ healthy: false, failure: 'refused' });
    expect(failed.detail).toContain('sig=REDACTED');
    fail = false;
    expect(await probe(hc)).toMatchObject({ healthy: true });
    expect(calls).toHaveLength(2);
  });

  it('resolves a full resource id and a workflow without a trigger is a plan error, not a crash', async () => {
    const { control, calls } = fakeControl(async () => 'http://127.0.0.1:1/?sig=TOPSECRET');
    const probe = probeWith({}, { control });
    const id = `/subscriptions/${plan.secondary.subscriptionId}/resourceGroups/rg-other/providers/Microsoft.Logic/workflows/hc`;
    await probe({ workflow: id, trigger: 'manual', timeout: 'PT1S' });
    expect(calls[0]?.target).toMatchObject({ resourceGroup: 'rg-other', name: 'hc' });
    const noTrigger = await probe({ workflow: 'health', timeout: 'PT1S' });
    expect(noTrigger).toMatchObject({ healthy: false, failure: 'error' });
    expect(noTrigger.detail).toContain('no trigger');
  });
});

describe('dependencies', () => {
  const dependencies = (require: 'all' | { atLeast: number }): HealthCheck['dependencies'] => ({
    require,
    probes: [
      { name: 'db', urlSetting: 'DB_URL' },
      { name: 'queue', urlSetting: 'QUEUE_URL', expectBody: { status: 'ok' } },
      { name: 'crm', urlSetting: 'CRM_URL', timeout: 'PT0.2S' },
    ],
  });

  async function estate() {
    const main = await serve(json(200, { status: 'Healthy' }, 150));
    const db = await serve(json(200, {}, 150));
    const queue = await serve(json(200, { status: 'degraded' }, 150));
    const crm = await serve(() => undefined);
    return { HEALTH_URL: main.url, DB_URL: db.url, QUEUE_URL: queue.url, CRM_URL: crm.url };
  }

  it('with require all, a healthy main probe fails with the first failing dependency', async () => {
    const settings = await estate();
    const started = performance.now();
    const outcome = await probeWith(settings)(viaSetting({ dependencies: dependencies('all') }));
    const elapsed = performance.now() - started;
    expect(outcome).toMatchObject({ healthy: false, status: 200, failure: 'body' });
    expect(outcome.detail).toBe(
      'dependencies: 1 of 3 healthy, all required; failed: queue (body), crm (timeout)',
    );
    expect(outcome.dependencies?.map((d) => [d.name, d.result.healthy, d.result.failure])).toEqual([
      ['db', true, undefined],
      ['queue', false, 'body'],
      ['crm', false, 'timeout'],
    ]);
    // In parallel: four probes of 150-200 ms each take about as long as one (in series: 650 ms).
    expect(elapsed).toBeLessThan(600);
  });

  it('with atLeast k, counts healthy dependencies', async () => {
    const settings = await estate();
    const one = await probeWith(settings)(viaSetting({ dependencies: dependencies({ atLeast: 1 }) }));
    expect(one).toMatchObject({ healthy: true, status: 200 });
    expect(one.failure).toBeUndefined();
    expect(one.dependencies).toHaveLength(3);

    const two = await probeWith(settings)(viaSetting({ dependencies: dependencies({ atLeast: 2 }) }));
    expect(two).toMatchObject({ healthy: false, failure: 'body' });
    expect(two.detail).toContain('1 of 3 healthy, at least 2 required');
  });

  it('keeps the main probe failure when the main probe itself fails', async () => {
    const settings = { ...(await estate()), HEALTH_URL: 'http://nonexistent.invalid/' };
    const outcome = await probeWith(settings)(viaSetting({ dependencies: dependencies({ atLeast: 1 }) }));
    expect(outcome).toMatchObject({ healthy: false, failure: 'dns' });
    expect(outcome.detail).toContain('health check (URL from app setting HEALTH_URL)');
    expect(outcome.dependencies?.[0]?.result.healthy).toBe(true);
  });
});
