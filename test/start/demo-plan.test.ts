/**
 * The README's `dr ready|whatif --sim` against a healthy embedded demo: they check the plan the demo runs
 * (its cadences shortened), not the file's, so a healthy demo is READY. And its simulator control API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installLocalCli } from '../../local/cli/simulator';
import { startEmbeddedEstate, toReceivedNotification, type EmbeddedEstate } from '../../local/start/embedded';
import { DEFAULT_LOCAL_CADENCE } from '../../local/start/local-plan';
import { runDr } from '../support/cli';
import { ROOT } from '../support/estate';

const store = mkdtempSync(join(tmpdir(), 'dr-demo-plan-'));
let estate: EmbeddedEstate;

beforeAll(async () => {
  installLocalCli(); // as bin/dr.js does
  estate = await startEmbeddedEstate({
    planFile: join(ROOT, 'examples/plan.json'),
    cadence: DEFAULT_LOCAL_CADENCE,
    httpPort: 0,
    simPort: 0,
    storeDir: store,
    keepState: false,
    functionKey: 'demo-plan-test-key',
    functionsDir: join(ROOT, 'functions'),
    log: () => undefined,
  });
}, 60_000);
afterAll(async () => {
  await estate?.stop();
  rmSync(store, { recursive: true, force: true });
});

describe('dr --sim uses the plan the demo runs', () => {
  const dr = (...args: string[]) => runDr([...args, '--sim', estate.simUrl], { DR_SIM_KEY: estate.simKey });

  it('dr ready examples/plan.json --sim: READY, and it says which plan it checked', async () => {
    const r = await dr('ready', 'examples/plan.json');
    expect(r.out).not.toContain('FAIL');
    expect(r.out).toContain(`plan "${estate.plan.id}": READY`);
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      `using the plan the demo runs: ${join(ROOT, 'examples/plan.json')} with probe interval`,
    );
    const bare = await dr('ready'); // no PLAN: the demo's
    expect(bare.code).toBe(0);
  });

  it('a key the simulator refuses (or none): one line saying so, exit 3, no usage text', async () => {
    for (const env of [{ DR_SIM_KEY: 'not-the-key' }, {}] as Record<string, string>[]) {
      const r = await runDr(['ready', 'examples/plan.json', '--sim', estate.simUrl], env);
      expect(r.code).toBe(3);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`the simulator at ${estate.simUrl} `);
      expect(r.err).toContain('(HTTP 401)');
      expect(r.err).not.toContain('cannot reach');
    }
    const wrong = await runDr(['ready', '--sim', estate.simUrl], { DR_SIM_KEY: 'not-the-key' });
    expect(wrong.err).toContain('refused the key in DR_SIM_KEY');
  });

  it('dr whatif --sim previews the cadences the demo writes', async () => {
    const r = await dr('whatif', 'examples/plan.json', 'failover');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/split-report \[split-recurrence\] just after a PT1M slot boundary/);
    expect(r.out).not.toContain('PT10M');
  });
});

describe('the demo simulator control API', () => {
  const sim = (path: string) =>
    fetch(`${estate.simUrl}${path}`, { headers: { 'x-functions-key': estate.simKey } });

  it('GET /sim lists its routes, /sim/notifications included', async () => {
    const index = (await (await sim('')).json()) as { routes: { route: string; what: string }[] };
    expect(index.routes.map((r) => r.route)).toContain('GET /sim/notifications');
    expect(index.routes.map((r) => r.route)).toContain('POST /sim/regions/{region}/restore');
  });

  it('/sim/notifications shows each notification with its raw CloudEvent', () => {
    const raw = {
      specversion: '1.0',
      type: 'com.logicappsfailover.health.degraded',
      source: 'contoso-orders-dr',
      id: 'n-1',
      time: '2026-12-06T12:00:00Z',
      datacontenttype: 'application/json',
      data: { failures: 1 },
    };
    const shown = toReceivedNotification({
      entity: 'dr-events',
      sequenceNumber: 1,
      enqueuedTime: new Date('2026-12-06T12:00:01Z'),
      messageId: 'n-1',
      subject: raw.type,
      correlationId: undefined,
      contentType: 'application/cloudevents+json',
      applicationProperties: {},
      body: raw,
    });
    expect(shown).toMatchObject({ type: raw.type, data: { failures: 1 }, cloudEvent: raw });
  });
});
