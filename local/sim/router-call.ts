/**
 * A caller's request sent "through" an entry's simulated router: where the router sends a call now (its data
 * plane, `sim.routeNow`), then the call itself to that region's Logic Apps runtime. `POST /sim/router/{entry}`
 * of `npm start`, the drill and the router scenario tests all send their traffic this way, and each call's
 * fate says which region's workflow ran it, or why none did.
 */
import { request } from 'node:https';
import type { LogicAppsControl } from '../../src/adapters/logicapps/port';
import { normaliseLocation } from '../../src/core/plan-rules';
import { entryRouter } from '../../src/core/routers';
import { targetOf, type RegionName } from '../../src/core/planner';
import { locatorFor } from '../../src/estate/locate';
import type { Plan, WorkflowEntry, WorkflowRef } from '../../src/plan/schema';
import type { ArmSimulator } from './arm';
import { simRouterRef } from './sample-estate';

/** What became of one call: `ran` (a workflow took it), `refused` (the runtime answered an error), `unreachable`, `nowhere`. */
export type RouterCallFate =
  | {
      outcome: 'ran' | 'refused';
      region: string;
      status: number;
      /** The run the workflow recorded (ran), or the runtime's error code (refused: `WorkflowDisabled`...). */
      runId?: string;
      code?: string;
      routedTo: string;
    }
  | { outcome: 'unreachable'; region: string; routedTo: string; error: string }
  | { outcome: 'nowhere'; why: string };

/** The fate in one word and a region: `ran:northeurope`, `refused:403 westeurope`, `unreachable westeurope`, `nowhere`. */
export const fateLine = (f: RouterCallFate): string =>
  f.outcome === 'nowhere'
    ? 'nowhere'
    : f.outcome === 'ran'
      ? `ran:${f.region}`
      : f.outcome === 'refused'
        ? `refused:${f.status} ${f.region}`
        : `unreachable ${f.region}`;

/** A bad request to the router route: the caller named something the plan does not have. */
export class RouterCallError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404,
  ) {
    super(message);
  }
}

/** The callback URL without its SAS signature: what a fate may show (the sig is a secret). */
const withoutSig = (url: string) => {
  const u = new URL(url);
  if (u.searchParams.has('sig')) u.searchParams.set('sig', '***');
  return u.toString();
};

export interface RouterCaller {
  /** Sends one call through the entry's router; never throws for a region's answer (only for a bad entry). */
  send(entryName: string, body?: string): Promise<RouterCallFate>;
}

export function routerCaller(sim: ArmSimulator, plan: Plan, control: LogicAppsControl): RouterCaller {
  // Each region's callback URL of an entry, read once: a region that is down later could not be asked.
  const callbacks = new Map<string, string>();
  const callbackUrl = async (entry: WorkflowEntry, region: RegionName): Promise<string> => {
    const key = `${entry.name}/${region}`;
    const known = callbacks.get(key);
    if (known) return known;
    const target = targetOf(plan, region, entry[region] as WorkflowRef);
    const url = await control.getCallbackUrl(locatorFor(plan, target), await requestTrigger(entry, region));
    callbacks.set(key, url);
    return url;
  };
  const requestTrigger = async (entry: WorkflowEntry, region: RegionName): Promise<string> => {
    const router = entry.router;
    if (router && 'apiManagement' in router) return router.apiManagement.trigger;
    const target = targetOf(plan, region, entry[region] as WorkflowRef);
    const info = await control.getWorkflow(locatorFor(plan, target));
    const triggers = Object.entries((info.definition?.triggers ?? {}) as Record<string, { type?: string }>);
    const found = triggers.find(([, t]) => t.type?.toLowerCase() === 'request');
    if (!found) throw new RouterCallError(`${entry.name} has no Request trigger in the ${region}`, 400);
    return found[0];
  };
  const regionOfHost = (origin: string) =>
    sim.regions().find((r) => sim.runtimeEndpoint(r) === origin) ?? origin;

  const entryOf = (name: string) => {
    const entry = plan.workflows.find((w) => w.name === name);
    if (!entry)
      throw new RouterCallError(
        `no entry '${name}' in plan ${plan.id} (entries with a router: ${
          plan.workflows
            .filter((w) => w.router)
            .map((w) => w.name)
            .join(', ') || 'none'
        })`,
        404,
      );
    if (!entry.router) throw new RouterCallError(`entry '${name}' has no router in plan ${plan.id}`, 400);
    return entry as WorkflowEntry & { router: NonNullable<WorkflowEntry['router']> };
  };

  return {
    async send(entryName, body = '{}') {
      const entry = entryOf(entryName);
      const route = sim.routeNow(simRouterRef(entry.router));
      if (route.kind === 'nowhere') return { outcome: 'nowhere', why: route.why };
      let url: string;
      let region: string;
      let routedTo: string;
      if (route.kind === 'url') {
        url = route.url;
        region = regionOfHost(new URL(url).origin);
        routedTo = `${entryRouter(plan, entry)!.label} -> ${withoutSig(url)}`;
      } else {
        // Front Door / Traffic Manager forward to the origin's host: here, that region's callback URL.
        const location = route.location ?? route.host.replace(/\.logic\.sim$/, '');
        const planRegion = (['primary', 'secondary'] as const).find(
          (r) => normaliseLocation(plan[r].location) === normaliseLocation(location),
        );
        region = normaliseLocation(location);
        routedTo = `${entryRouter(plan, entry)!.label} -> ${route.name} (${route.host})`;
        if (!planRegion)
          return {
            outcome: 'unreachable',
            region,
            routedTo,
            error: `${route.host} is no region of the plan`,
          };
        try {
          url = await callbackUrl(entry, planRegion);
        } catch (err) {
          if (err instanceof RouterCallError) throw err;
          return { outcome: 'unreachable', region, routedTo, error: (err as Error).message };
        }
      }
      const answer = await post(url, body, sim.caCertPem);
      if ('error' in answer) return { outcome: 'unreachable', region, routedTo, error: answer.error };
      return {
        outcome: answer.status < 300 ? 'ran' : 'refused',
        region,
        status: answer.status,
        ...(answer.runId ? { runId: answer.runId } : {}),
        ...(answer.code ? { code: answer.code } : {}),
        routedTo,
      };
    },
  };
}

function post(
  url: string,
  body: string,
  ca: string,
): Promise<{ status: number; runId?: string; code?: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        agent: false,
        timeout: 2_000,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const runId = res.headers['x-ms-workflow-run-id'];
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let code: unknown;
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: unknown } })
              .error?.code;
          } catch {
            // No JSON body (a 202 without content): no error code.
          }
          resolve({
            status,
            ...(typeof runId === 'string' ? { runId } : {}),
            ...(status >= 300 && typeof code === 'string' ? { code } : {}),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 2 s')));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end(body);
  });
}
