/**
 * The health probe against the ARM simulator: the real ARM adapter resolves the health workflow's callback URL,
 * the probe POSTs to the simulated Logic Apps runtime over HTTPS, and region faults change what it sees.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createArmLogicAppsControl } from '../../../src/adapters/logicapps/arm';
import { createHealthProbe, type HealthProbeOutcome } from '../../../src/adapters/probe';
import { simulatorConnection, type ArmSimulator } from '../../../local/sim/arm';
import { PlanSchema, type HealthCheck, type Plan } from '../../../src/plan/schema';
import { startCheckedSimulator } from '../../sim/arm/helpers';
import { oneSubscriptionSeed, simLogicClient } from '../../support/arm-sim';
import { minimalPlan } from '../../support/plans';

const SUB = '0d6c1e51-7c3b-4d8a-9f7e-1a2b3c4d5e6f';
const TIMEOUT_MS = 1000;
/** Scheduling slack on a busy 2-core runner: a timeout must fire within TIMEOUT_MS + this. */
const MARGIN_MS = 400;

const healthDefinition = {
  triggers: { manual: { type: 'Request', kind: 'Http' } },
  actions: { Response: { type: 'Response', inputs: { statusCode: 200, body: { status: 'Healthy' } } } },
};

let sim: ArmSimulator;
let plan: Plan;
/** Every detail any probe produced, checked for signatures at the end. */
const details: string[] = [];

const healthCheck = (extra: Partial<HealthCheck> = {}): HealthCheck => ({
  workflow: 'health',
  trigger: 'manual',
  timeout: 'PT1S',
  ...extra,
});

const newProbe = () =>
  createHealthProbe({
    control: createArmLogicAppsControl({
      ...simulatorConnection({ armEndpoint: sim.armEndpoint, caCertPem: sim.caCertPem }),
      maxRetries: 0,
    }),
    plan,
    settings: {},
    ca: sim.caCertPem,
  });

async function run(probe: ReturnType<typeof newProbe>, hc = healthCheck()): Promise<HealthProbeOutcome> {
  const outcome = await probe.probe(hc);
  if (outcome.detail !== undefined) details.push(outcome.detail);
  return outcome;
}

const callbackLookups = () => sim.requestLog().filter((r) => r.path.includes('/listCallbackUrl')).length;

beforeAll(async () => {
  // Its stop() fails if any ARM answer was outside the official spec.
  sim = await startCheckedSimulator({
    seed: oneSubscriptionSeed(SUB, [
      {
        name: 'rg-weu',
        location: 'westeurope',
        workflows: [{ name: 'health', definition: healthDefinition }],
      },
      { name: 'rg-neu', location: 'northeurope', workflows: [] },
    ]),
  });
  const input = minimalPlan();
  input.primary.subscriptionId = SUB;
  input.secondary.subscriptionId = SUB;
  plan = PlanSchema.parse(input);
});

afterAll(async () => {
  await sim?.stop();
  // No probe detail carries a usable signature; the simulator logs none either.
  expect(details.length).toBeGreaterThan(0);
  for (const text of [...details, ...sim.requestLog().map((r) => r.path)]) {
    expect(text).not.toMatch(/sig=(?!REDACTED)/i);
  }
});

beforeEach(async () => {
  for (const region of Object.keys(sim.faults())) sim.restore(region);
  await sim.settle();
  sim.clearRequestLog();
});

describe('health probe against the simulated primary region', () => {
  it('is healthy when the health workflow answers 200 with the expected body', async () => {
    const before = Date.now();
    const outcome = await run(newProbe(), healthCheck({ expectBody: { status: 'Healthy' } }));
    expect(outcome).toMatchObject({ healthy: true, status: 200 });
    expect(outcome.failure).toBeUndefined();
    expect(outcome.detail).toBeUndefined();
    expect(outcome.dependencies).toBeUndefined();
    expect(Date.parse(outcome.at)).toBeGreaterThanOrEqual(before - 1000);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(outcome.latencyMs).toBeLessThan(TIMEOUT_MS);
    // The probe really ran the workflow through its callback URL.
    expect(
      sim.requestLog().some((r) => r.listener === 'runtime' && r.method === 'POST' && r.status === 200),
    ).toBe(true);
  });

  it('resolves the callback URL once across 5 probes', async () => {
    const probe = newProbe();
    for (let i = 0; i < 5; i += 1) expect((await run(probe)).healthy).toBe(true);
    expect(callbackLookups()).toBe(1);
    expect(sim.requestLog().filter((r) => r.listener === 'runtime')).toHaveLength(5);
  });

  it('reports an unhealthy region answering 500 as a status failure', async () => {
    sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    const outcome = await run(newProbe());
    expect(outcome).toMatchObject({ healthy: false, status: 500, failure: 'status' });
    expect(outcome.detail).toContain('HTTP 500, expected 200');
    expect(outcome.detail).toContain('primary:health');
  });

  it('reports 200 with {"status":"Unhealthy"} as a body failure only when expectBody asks for Healthy', async () => {
    sim.outage('westeurope', { kind: 'unhealthy', mode: 'body' });
    const probe = newProbe();
    const strict = await run(probe, healthCheck({ expectBody: { status: 'Healthy' } }));
    expect(strict).toMatchObject({ healthy: false, status: 200, failure: 'body' });
    expect(strict.detail).toContain('status: got "Unhealthy", expected "Healthy"');
    // Without expectBody a 200 is all it takes.
    expect(await run(probe)).toMatchObject({ healthy: true, status: 200 });
  });

  it('sees a region that is down (refused) as refused, and a failing listCallbackUrl as a result, not a throw', async () => {
    const cached = newProbe();
    expect((await run(cached)).healthy).toBe(true);
    sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    await sim.settle();

    const refused = await run(cached);
    expect(refused).toMatchObject({ healthy: false, failure: 'refused' });
    expect(refused.status).toBeUndefined();
    expect(refused.detail).toContain('ECONNREFUSED');

    // A fresh probe must ask ARM for the URL, and the primary's ARM drops the connection.
    const fresh = newProbe();
    const unresolved = await run(fresh);
    expect(unresolved).toMatchObject({ healthy: false, failure: 'reset' });
    expect(unresolved.detail).toContain('callback URL not resolved');
    expect(callbackLookups()).toBe(2);

    // The failed lookup was not cached: once the region is back, the same probe object resolves and is healthy.
    sim.restore('westeurope');
    await sim.settle();
    expect(await run(fresh)).toMatchObject({ healthy: true, status: 200 });
    expect(await run(cached)).toMatchObject({ healthy: true, status: 200 });
    expect(callbackLookups()).toBe(3);
  });

  it('times out on a region that hangs, within the timeout plus a small margin', async () => {
    const cached = newProbe();
    expect((await run(cached)).healthy).toBe(true);
    sim.outage('westeurope', { kind: 'down', mode: 'hang' });

    let started = performance.now();
    const hung = await run(cached);
    let elapsed = performance.now() - started;
    expect(hung).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(hung.detail).toContain(`within ${TIMEOUT_MS} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(hung.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);

    // Without a cached URL the ARM call hangs too; the same deadline holds.
    started = performance.now();
    const unresolved = await run(newProbe());
    elapsed = performance.now() - started;
    expect(unresolved).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(unresolved.detail).toContain('ARM gave no callback URL');
    expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  });

  it('times out when the region answers slower than the timeout, and is healthy when it answers in time', async () => {
    const probe = newProbe();
    expect((await run(probe)).healthy).toBe(true);
    sim.outage('westeurope', { kind: 'slow', latencyMs: TIMEOUT_MS + 500 });
    const started = performance.now();
    const slow = await run(probe);
    expect(slow).toMatchObject({ healthy: false, failure: 'timeout' });
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);

    sim.outage('westeurope', { kind: 'slow', latencyMs: 200 });
    const late = await run(probe);
    expect(late).toMatchObject({ healthy: true, status: 200 });
    expect(late.latencyMs).toBeGreaterThanOrEqual(195);
  });

  it('re-resolves the callback URL after the workflow was recreated (the old URL answers 404)', async () => {
    const probe = newProbe();
    expect((await run(probe)).healthy).toBe(true);
    const client = simLogicClient(sim, SUB);
    await client.workflows.delete('rg-weu', 'health');
    await client.workflows.createOrUpdate('rg-weu', 'health', {
      location: 'westeurope',
      definition: healthDefinition,
    });

    const stale = await run(probe);
    expect(stale).toMatchObject({ healthy: false, status: 404, failure: 'status' });
    expect(await run(probe)).toMatchObject({ healthy: true, status: 200 });
    expect(callbackLookups()).toBe(2);
  });
});
