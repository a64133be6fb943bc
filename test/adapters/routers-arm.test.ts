// The router adapter (the real @azure/arm-apimanagement, arm-cdn and arm-trafficmanager SDKs) against the ARM
// simulator: every response is checked against the official spec subsets as it is sent (startCheckedSimulator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { simulatorConnection } from '../../local/sim/arm';
import { ArmTerminalError, ArmTransientError } from '../../src/adapters/arm/errors';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createArmRouterControl } from '../../src/adapters/routers/arm';
import type { RouterControl } from '../../src/adapters/routers/port';
import { callbackParts, routedRegion, routerTarget, type CallbackParts } from '../../src/core/routers';
import type { Router } from '../../src/plan/schema';
import { validatePlan } from '../../src/plan/validate';
import { routerReadiness } from '../../src/estate/routers';
import {
  healthDefinition,
  specProblems,
  startCheckedSimulator,
  SUB,
  type CheckedSimulator,
} from '../sim/arm/helpers';
import { oneSubscriptionSeed } from '../support/arm-sim';

const regions = {
  primary: { location: 'westeurope', subscriptionId: SUB, resourceGroup: 'rg-weu' },
  secondary: { location: 'northeurope', subscriptionId: SUB, resourceGroup: 'rg-neu' },
};
const edge = { subscriptionId: SUB, resourceGroup: 'rg-edge' };
const FRONT_DOOR: Router = {
  frontDoor: {
    ...edge,
    profile: 'afd',
    originGroup: 'orders',
    origins: { westeurope: 'weu', northeurope: 'neu' },
  },
};
const TRAFFIC_MANAGER: Router = {
  trafficManager: {
    ...edge,
    profile: 'tm-orders',
    endpointType: 'ExternalEndpoints',
    endpoints: { westeurope: 'weu', northeurope: 'neu' },
  },
};
/** One secret named value per region for the sig (the API's policy picks by the serviceUrl's region). */
const SIG_NAMED_VALUES = { westeurope: 'orders-sig-weu', northeurope: 'orders-sig-neu' };
const apim = (extra: Record<string, unknown>): Router => ({
  apiManagement: {
    ...edge,
    service: 'apim-orders',
    trigger: 'manual',
    signature: 'backend-credentials',
    ...extra,
  },
});

let sim: CheckedSimulator;
let routers: RouterControl;
const callbacks: Partial<Record<'primary' | 'secondary', CallbackParts>> = {};
const callbackUrls: Record<string, string> = {};

beforeAll(async () => {
  sim = await startCheckedSimulator({
    seed: oneSubscriptionSeed(SUB, [
      {
        name: 'rg-weu',
        location: 'westeurope',
        workflows: [{ name: 'orders', definition: healthDefinition() }],
      },
      {
        name: 'rg-neu',
        location: 'northeurope',
        workflows: [{ name: 'orders', definition: healthDefinition(), state: 'Disabled' }],
      },
      {
        name: 'rg-edge',
        location: 'northeurope',
        apiManagement: [
          {
            name: 'apim-orders',
            backends: [
              { name: 'orders-la', url: 'https://placeholder.example/' },
              { name: 'orders-nv', url: 'https://placeholder.example/' },
            ],
            apis: [
              {
                name: 'orders-api',
                path: 'orders',
                serviceUrl: 'https://placeholder.example/',
                sigPolicy: SIG_NAMED_VALUES,
              },
            ],
            namedValues: [
              { name: 'orders-sig-weu', value: 'none', secret: true },
              { name: 'orders-sig-neu', value: 'none', secret: true },
            ],
          },
        ],
        frontDoor: [
          {
            name: 'afd',
            originGroups: [
              {
                name: 'orders',
                origins: [
                  { name: 'weu', hostName: 'weu.example', enabledState: 'Enabled', priority: 1 },
                  { name: 'neu', hostName: 'neu.example', enabledState: 'Disabled', priority: 2 },
                ],
              },
            ],
          },
        ],
        trafficManager: [
          {
            name: 'tm-orders',
            routingMethod: 'Priority',
            endpoints: [
              { name: 'weu', target: 'weu.example', priority: 1, endpointLocation: 'West Europe' },
              { name: 'neu', target: 'neu.example', priority: 2, endpointStatus: 'Disabled' },
            ],
          },
        ],
      },
    ]),
  });
  const connection = simulatorConnection(sim);
  routers = createArmRouterControl({ ...connection, maxRetries: 0 });
  const logic = createArmLogicAppsControl(connection);
  for (const region of ['primary', 'secondary'] as const) {
    const url = await logic.getCallbackUrl(
      { subscriptionId: SUB, resourceGroup: regions[region].resourceGroup, name: 'orders' },
      'manual',
    );
    callbackUrls[region] = url;
    callbacks[region] = callbackParts(url);
  }
});

afterAll(async () => {
  // Fails here if any response (Logic Apps or router) was outside its official spec subset.
  await sim?.stop();
});

const seen = async (router: Router) => {
  const target = routerTarget(regions, router);
  return routedRegion(target, await routers.read(router, target), callbacks);
};
const switchTo = (router: Router, to: 'primary' | 'secondary') =>
  routers.switchTo(router, routerTarget(regions, router), to, callbacks[to]);

/** POSTs to a URL the router would send a call to; the runtime says which region's workflow ran. */
function call(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: sim.caCertPem, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe.each([
  ['Front Door', FRONT_DOOR, 'frontDoor', 'orders'],
  ['Traffic Manager', TRAFFIC_MANAGER, 'trafficManager', 'tm-orders'],
] as const)('%s', (_, router, kind, part) => {
  const name = kind === 'frontDoor' ? 'afd' : 'tm-orders';
  it('reads where calls go, switches (the active endpoint first), is idempotent, and the data plane follows', async () => {
    expect(await seen(router)).toMatchObject({ pointsAt: 'primary', exact: true });
    expect(await switchTo(router, 'secondary')).toEqual({ changed: true });
    expect(await seen(router)).toMatchObject({ pointsAt: 'secondary', exact: true });
    expect(await switchTo(router, 'secondary')).toEqual({ changed: false });
    const ref = { kind, subscriptionId: SUB, resourceGroup: 'rg-edge', name, part };
    expect(sim.routeNow(ref)).toMatchObject({ kind: 'endpoint', name: 'neu' });
    expect(await switchTo(router, 'primary')).toEqual({ changed: true });
    expect(sim.routeNow(ref)).toMatchObject({ kind: 'endpoint', name: 'weu' });
  });
});

describe('API Management', () => {
  it('backend credentials: writes the url and query, the sig in credentials.query; the call reaches the secondary workflow', async () => {
    const router = apim({ backend: 'orders-la' });
    expect((await seen(router)).pointsAt).toBeUndefined();
    expect(await switchTo(router, 'secondary')).toEqual({ changed: true });
    expect(await seen(router)).toMatchObject({ pointsAt: 'secondary', exact: true });
    expect(await switchTo(router, 'secondary')).toEqual({ changed: false });
    const route = sim.routeNow({
      kind: 'apiManagement',
      subscriptionId: SUB,
      resourceGroup: 'rg-edge',
      name: 'apim-orders',
      part: 'orders-la',
    });
    expect(route).toEqual({ kind: 'url', url: expect.any(String) });
    expect(new URL((route as { url: string }).url).searchParams.get('sig')).toBe(
      callbacks.secondary!.queries.sig,
    );
    // The secondary's workflow is disabled: the runtime refuses the call (never routed to a disabled workflow
    // is the planner's and the gate's job; here the data plane is shown to be real).
    expect(await call((route as { url: string }).url)).toBe(409);
  });

  const apimRef = (part: string) =>
    ({
      kind: 'apiManagement',
      subscriptionId: SUB,
      resourceGroup: 'rg-edge',
      name: 'apim-orders',
      part,
    }) as const;
  /**
   * Switches while sampling where the router sends a call at every turn of the event loop (the simulator answers
   * in this process, so every state between two ARM writes is seen): each call goes with one region's url and
   * that same region's sig, never one region's sig to the other's url (refused 401).
   */
  const switchSampled = async (router: Router, to: 'primary' | 'secondary', part: string) => {
    const ref = apimRef(part);
    const mixed: string[] = [];
    let samples = 0;
    let done = false;
    const sample = () => {
      const route = sim.routeNow(ref);
      if (route.kind !== 'url') return;
      samples += 1;
      const url = new URL(route.url);
      const region = (['primary', 'secondary'] as const).find(
        (r) => `${url.origin}${url.pathname}` === callbacks[r]!.basePath,
      );
      if (region && url.searchParams.get('sig') !== callbacks[region]!.queries.sig)
        mixed.push(
          `${region} url with ${url.searchParams.get('sig') === callbacks[region === 'primary' ? 'secondary' : 'primary']!.queries.sig ? 'the other region’s' : 'no current'} sig`,
        );
    };
    const sampler = (async () => {
      while (!done) {
        sample();
        await new Promise((r) => setImmediate(r));
      }
    })();
    const result = await switchTo(router, to).finally(() => (done = true));
    await sampler;
    sample();
    return { result, mixed, samples };
  };

  it('named values, one per region: the sig goes into the new region’s, then url and reference in one write; no call is sent with a mix', async () => {
    const router = apim({ backend: 'orders-nv', signature: { namedValues: SIG_NAMED_VALUES } });
    const first = await switchSampled(router, 'primary', 'orders-nv');
    expect(first.result).toEqual({ changed: true });
    expect(await seen(router)).toMatchObject({ pointsAt: 'primary', exact: true });
    const ref = apimRef('orders-nv');
    expect(await call((sim.routeNow(ref) as { url: string }).url)).toBe(200);
    expect(await switchTo(router, 'primary')).toEqual({ changed: false });
    for (const to of ['secondary', 'primary', 'secondary'] as const) {
      const { result, mixed, samples } = await switchSampled(router, to, 'orders-nv');
      expect(result).toEqual({ changed: true });
      expect(samples).toBeGreaterThan(3); // The sampler saw the states between the writes.
      expect(mixed).toEqual([]);
      expect(await seen(router)).toMatchObject({ pointsAt: to, exact: true });
    }
    // The backend refers to the active region's named value: the route carries the secondary's sig.
    expect(new URL((sim.routeNow(ref) as { url: string }).url).searchParams.get('sig')).toBe(
      callbacks.secondary!.queries.sig,
    );
  });

  it("an API's serviceUrl, each region's sig in its own named value the policy picks by host: no call is sent with a mix", async () => {
    const router = apim({ api: 'orders-api', signature: { namedValues: SIG_NAMED_VALUES } });
    for (const to of ['primary', 'secondary', 'primary'] as const) {
      const { result, mixed } = await switchSampled(router, to, 'orders-api');
      expect(result).toEqual({ changed: true });
      expect(mixed).toEqual([]);
      expect(await seen(router)).toMatchObject({ pointsAt: to, exact: true });
    }
    const ref = apimRef('orders-api');
    expect(await call((sim.routeNow(ref) as { url: string }).url)).toBe(200);
  });

  it('sees a signature regenerated since as stale (the switch is then not a no-op)', async () => {
    const router = apim({ backend: 'orders-la' });
    await switchTo(router, 'secondary');
    const regenerated = {
      ...callbacks.secondary!,
      queries: { ...callbacks.secondary!.queries, sig: 'new-sig' },
    };
    const target = routerTarget(regions, router);
    const stale = routedRegion(target, await routers.read(router, target), {
      ...callbacks,
      secondary: regenerated,
    });
    expect(stale).toMatchObject({ pointsAt: 'secondary', exact: false });
    expect(stale.detail).toContain('stale signature');
  });
});

describe('faults: the same as the Logic Apps ARM', () => {
  it('an APIM service goes down with its region; Front Door and Traffic Manager are global', async () => {
    sim.outage('northeurope', { kind: 'down' });
    try {
      const err = await routers
        .read(apim({ backend: 'orders-la' }), routerTarget(regions, apim({ backend: 'orders-la' })))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArmTransientError);
      expect((err as ArmTransientError).status).toBeUndefined(); // No answer: the switch would be pending.
      expect((await seen(FRONT_DOOR)).pointsAt).toBe('primary');
    } finally {
      sim.restore('northeurope');
    }
    sim.outage('global', { kind: 'errors', rate: 1, statuses: [503] });
    try {
      const err = await seen(TRAFFIC_MANAGER).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArmTransientError);
      expect((err as ArmTransientError).status).toBe(503);
    } finally {
      sim.restore('global');
    }
    sim.outage('global', { kind: 'throttled', retryAfterSeconds: 0 });
    try {
      expect(await seen(FRONT_DOOR).catch((e: unknown) => (e as ArmTransientError).status)).toBe(429);
    } finally {
      sim.restore('global');
    }
  });

  it('a router that does not exist is a terminal error (404)', async () => {
    const missing: Router = {
      frontDoor: { ...(FRONT_DOOR as { frontDoor: object }).frontDoor, profile: 'nope' },
    } as Router;
    const err = await seen(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmTerminalError);
    expect((err as ArmTerminalError).status).toBe(404);
  });

  it('checked the router responses against their specs, with a validator that can fail', () => {
    expect(sim.spec.checked).toBeGreaterThan(30);
    expect(sim.spec.problems).toEqual([]);
    const tm = `/subscriptions/${SUB}/resourceGroups/rg-edge/providers/Microsoft.Network/trafficmanagerprofiles/tm/ExternalEndpoints/weu`;
    expect(
      specProblems('GET', tm, 200, JSON.stringify({ properties: { endpointStatus: 'Sleeping' } })),
    ).not.toEqual([]);
    const origin = `/subscriptions/${SUB}/resourceGroups/rg-edge/providers/Microsoft.Cdn/profiles/afd/originGroups/g/origins/o`;
    expect(specProblems('GET', origin, 200, JSON.stringify({ properties: { priority: 9 } }))).not.toEqual([]);
    const backend = `/subscriptions/${SUB}/resourceGroups/rg-edge/providers/Microsoft.ApiManagement/service/s/backends/b`;
    expect(
      specProblems(
        'GET',
        backend,
        200,
        JSON.stringify({ properties: { credentials: { query: { sig: 'x' } } } }),
      ),
    ).not.toEqual([]);
  });
});

describe('dr ready: the router checks', () => {
  const planWith = (router: Router) => {
    const { plan, issues } = validatePlan({
      id: 'ready',
      primary: regions.primary,
      secondary: regions.secondary,
      healthCheck: { workflow: 'health', trigger: 'manual', timeout: 'PT5S' },
      policy: { probeInterval: 'PT30S', failureThreshold: 3 },
      workflows: [
        {
          name: 'orders',
          role: 'active-passive',
          trigger: 'request',
          primary: 'orders',
          secondary: 'orders',
          router,
        },
      ],
    });
    if (!plan) throw new Error(JSON.stringify(issues));
    return plan;
  };
  const logic = () => createArmLogicAppsControl(simulatorConnection(sim));
  const failed = async (router: Router) =>
    (await routerReadiness(planWith(router), logic(), routers))
      .filter((c) => c.status === 'fail')
      .map((c) => c.detail);

  it('passes for routers that exist, map both regions and send calls to the primary now', async () => {
    await switchTo(FRONT_DOOR, 'primary');
    await switchTo(apim({ backend: 'orders-la' }), 'primary');
    expect(await failed(FRONT_DOOR)).toEqual([]);
    expect(await failed(TRAFFIC_MANAGER)).toEqual([]);
    const checks = await routerReadiness(planWith(apim({ backend: 'orders-la' })), logic(), routers);
    expect(checks.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(checks.map((c) => c.detail).join('\n')).toMatch(
      /survives the loss of the primary[\s\S]*callback URL resolves now[\s\S]*primary now/,
    );
  });

  it('fails a router that sends calls to the secondary or lacks an endpoint; one that does not answer is unread', async () => {
    await switchTo(apim({ backend: 'orders-la' }), 'secondary');
    expect(await failed(apim({ backend: 'orders-la' }))).toEqual([
      expect.stringContaining('expected to send calls to the primary only: it sends them to the secondary'),
    ]);
    await switchTo(apim({ backend: 'orders-la' }), 'primary');
    const tm = TRAFFIC_MANAGER.trafficManager;
    const noEndpoint: Router = {
      trafficManager: { ...tm, endpoints: { westeurope: 'weu', northeurope: 'gone' } },
    };
    expect((await failed(noEndpoint))[0]).toContain('no endpoint for the secondary region');
    sim.outage('northeurope', { kind: 'down' });
    try {
      // Not read is not a failure: dr ready exits 3 for it, not 1.
      const checks = await routerReadiness(planWith(apim({ backend: 'orders-la' })), logic(), routers);
      expect(checks.map((c) => c.status)).toEqual(['unread']);
      expect(checks[0]!.detail).toContain('did not answer');
    } finally {
      sim.restore('northeurope');
    }
  });
});
