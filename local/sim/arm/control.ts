import { type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { SimInputError } from './errors';
import { parseRegionFault } from './faults';
import { readBody, sendJson } from './listener';
import { normaliseLocation } from './location';
import { type ArmSimulator } from './simulator';

const advanceSchema = z.union([
  z
    .object({
      ms: z
        .number()
        .min(0)
        .max(366 * 24 * 3600 * 1000),
    })
    .strict(),
  z.object({ to: z.iso.datetime({ offset: true }) }).strict(),
]);
const restoreSchema = z
  .object({ kind: z.enum(['down', 'slow', 'errors', 'throttled', 'unhealthy']) })
  .strict();

function badRequest(message: string): { status: number; body: unknown } {
  return { status: 400, body: { error: { code: 'BadRequest', message } } };
}

/**
 * The regions a fault can be put on: those holding a workflow or site, `global` (Front Door, Traffic Manager),
 * and any already faulted (so it can be restored). A typo (`westeurop`) would otherwise break nothing, and a
 * drill would wait for a failover that never comes.
 */
function unknownRegion(sim: ArmSimulator, location: string): { status: number; body: unknown } | undefined {
  const known = [...new Set([...sim.regions(), 'global', ...Object.keys(sim.faults())])];
  if (known.includes(normaliseLocation(location))) return undefined;
  return {
    status: 404,
    body: {
      error: {
        code: 'RegionNotFound',
        message: `No region '${location}' in this simulator: known regions are ${known.join(', ')}.`,
      },
    },
  };
}

function parseJson(text: string, where: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimInputError(where, 'body is not valid JSON');
  }
}

/** One control route, as `GET /sim` lists it. */
export interface SimRoute {
  route: string;
  what: string;
}

export const SIM_ROUTES: SimRoute[] = [
  { route: 'GET /sim', what: 'this list' },
  {
    route: 'GET /sim/info',
    what: 'ARM endpoint, CA certificate, regions, faults, and the plan the demo runs',
  },
  {
    route: 'POST /sim/regions/{region}/outage',
    what: '{"kind":"down"|"slow"|"errors"|"throttled"|"unhealthy", ...options}: break a region',
  },
  {
    route: 'POST /sim/regions/{region}/restore',
    what: 'no body or {}: restore everything; {"kind":...}: clear that fault only',
  },
  { route: 'GET /sim/workflows', what: 'every workflow and its state' },
  { route: 'GET /sim/runs', what: 'runs, and the recurrence slots each region ran' },
  { route: 'GET /sim/state-changes', what: 'every enable and disable, in order' },
  { route: 'GET /sim/requests', what: 'the ARM requests the simulator answered' },
  {
    route: 'POST /sim/clock/advance',
    what: '{"ms":N} or {"to":ISO}: move simulated time (virtual clock only)',
  },
];

/**
 * A plain-http request listener for operating the simulator from outside the process (`npm start`, demos):
 * everything lives under `/sim/`. Pass it to `http.createServer`. `moreRoutes` are served by the caller in
 * front of this handler; `GET /sim` lists them too.
 */
export function createSimControlHandler(
  sim: ArmSimulator,
  extra: Record<string, unknown> = {},
  moreRoutes: SimRoute[] = [],
): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    const parts = url.pathname
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    const reply = (status: number, body: unknown): void => sendJson(res, status, body);
    try {
      if (parts[0] !== 'sim')
        return reply(404, { error: { code: 'NotFound', message: `No control route '${url.pathname}'.` } });
      const route = `${method} /${parts.slice(1).join('/')}`;
      if (parts[1] === 'regions' && parts[2] !== undefined && parts.length === 4 && method === 'POST') {
        const location = parts[2];
        if (parts[3] === 'outage') {
          const body = parseJson(text, `POST /sim/regions/${location}/outage`);
          if (body === undefined) {
            const { status, body: err } = badRequest(
              'Body required: { "kind": "down" | "slow" | "errors" | "throttled" | "unhealthy", ...options }.',
            );
            return reply(status, err);
          }
          const fault = parseRegionFault(body, 'body');
          const unknown = unknownRegion(sim, location);
          if (unknown) return reply(unknown.status, unknown.body);
          sim.outage(location, fault);
          return reply(200, {
            region: normaliseLocation(location),
            faults: sim.faults()[normaliseLocation(location)],
          });
        }
        if (parts[3] === 'restore') {
          const body = parseJson(text, `POST /sim/regions/${location}/restore`);
          const empty =
            body === undefined ||
            (typeof body === 'object' && body !== null && !Array.isArray(body) && !Object.keys(body).length);
          const unknown = unknownRegion(sim, location);
          if (unknown) return reply(unknown.status, unknown.body);
          if (empty) sim.restore(location);
          else {
            const parsed = restoreSchema.safeParse(body);
            if (!parsed.success) {
              const { status, body: err } = badRequest(
                `Body must be empty or { "kind": <fault kind> }: ${parsed.error.issues[0]?.message ?? ''}`,
              );
              return reply(status, err);
            }
            sim.restore(location, parsed.data.kind);
          }
          return reply(200, {
            region: normaliseLocation(location),
            faults: sim.faults()[normaliseLocation(location)] ?? null,
          });
        }
      }
      switch (route) {
        case 'GET /':
          return reply(200, { routes: [...SIM_ROUTES, ...moreRoutes] });
        case 'GET /workflows':
          return reply(200, { now: sim.clock.now().toISOString(), workflows: sim.workflows() });
        case 'GET /runs': {
          const runs = sim.runs();
          const byWorkflow: Record<string, Record<string, string[]>> = {};
          for (const run of runs.filter((r) => r.origin === 'recurrence')) {
            const perRegion = (byWorkflow[run.workflowId] ??= {});
            (perRegion[run.region] ??= []).push(run.slotTime);
          }
          return reply(200, { now: sim.clock.now().toISOString(), runs, recurrenceSlots: byWorkflow });
        }
        case 'GET /info':
          return reply(200, {
            armEndpoint: sim.armEndpoint,
            caCertPem: sim.caCertPem,
            now: sim.clock.now().toISOString(),
            regions: Object.fromEntries(
              sim.regions().map((r) => [r, { runtimeEndpoint: sim.runtimeEndpoint(r) }]),
            ),
            faults: sim.faults(),
            ...extra,
          });
        case 'GET /state-changes':
          return reply(200, { stateChanges: sim.stateChanges() });
        case 'GET /requests':
          return reply(200, { requests: sim.requestLog() });
        case 'POST /clock/advance': {
          const parsed = advanceSchema.safeParse(parseJson(text, 'POST /sim/clock/advance'));
          if (!parsed.success) {
            const { status, body } = badRequest(
              'Body must be { "ms": <non-negative number> } or { "to": <ISO date-time> }.',
            );
            return reply(status, body);
          }
          const fired =
            'ms' in parsed.data ? sim.advanceBy(parsed.data.ms) : sim.advanceTo(new Date(parsed.data.to));
          return reply(200, { now: sim.clock.now().toISOString(), fired });
        }
        default:
          return reply(404, {
            error: { code: 'NotFound', message: `No control route '${method} ${url.pathname}'.` },
          });
      }
    } catch (error) {
      if (error instanceof SimInputError) {
        const { status, body } = badRequest(error.message);
        return reply(status, body);
      }
      return reply(500, {
        error: { code: 'InternalError', message: error instanceof Error ? error.message : String(error) },
      });
    }
  };
  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 'InternalError', message: 'control handler failed' } });
      else res.destroy();
    });
  };
}
