/**
 * The embedded estate behind `npm start` and `npm run drill`: the ARM simulator seeded from the example plan
 * (following real time, so recurrences fire), the AMQP broker, the real adapters over both, and the in-process
 * Functions host running the real `functions/` files on the wall clock.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { createServiceBusNotifier, type Notifier } from '../../src/adapters/servicebus';
import {
  installControlPlane,
  installLocalKeyIsOperator,
  installLocalPrincipalTrust,
} from '../../src/composition';
import { simulatorConnection } from '../sim/arm';
import { startFunctionsHost, type FunctionsHost, type HostLogEntry } from '../host';
import { presentsKey } from '../host/keys';
import { parsePlan } from '../../src/plan/load';
import type { Plan } from '../../src/plan/schema';
import type { DemoPlan } from '../../src/cli/arm';
import { createSimControlHandler, startArmSimulator, type ArmSimulator } from '../sim/arm';
import { loadEntryDefinitions, pointRoutersAtPrimary, sampleEstateSeed } from '../sim/sample-estate';
import { readBody } from '../sim/arm/listener';
import { fateLine, routerCaller, RouterCallError, type RouterCaller } from '../sim/router-call';
import { createArmRouterControl } from '../../src/adapters/routers/arm';
import { startServiceBusBroker, type BrokerMessage, type ServiceBusBroker } from '../sim/servicebus';
import { localDemoPlan, type LocalCadence } from './local-plan';
import { watchdogScheduleFor } from '../../src/config/watchdog-schedule';
import { causalLog, loggingControl, loggingProbe, watchControlPlane, type LiveLog } from './live-log';

export interface EmbeddedOptions {
  /** The plan file the estate is built from (examples/plan.json). */
  planFile: string;
  cadence: LocalCadence;
  /** Functions host port (0: a free port). */
  httpPort: number;
  /** Simulator control port, `/sim/*` (0: a free port). */
  simPort: number;
  /** Durable store directory; wiped on start unless keepState. */
  storeDir: string;
  keepState: boolean;
  /** The key accepted for authLevel `function` routes. */
  functionKey: string;
  /** The key of the simulator control API (`x-functions-key` or `?code=`); default: generated at start. */
  simKey?: string;
  /** The `functions/` directory to load. */
  functionsDir: string;
  taskHub?: string;
  log: LiveLog;
  now?: () => Date;
}

/** A notification as `GET /sim/notifications` shows it: the CloudEvent the broker received. */
export interface ReceivedNotification {
  type: string;
  subject: string | undefined;
  messageId: string | undefined;
  time: string | undefined;
  enqueuedTime: string;
  data: unknown;
  /** The message body exactly as it arrived: the whole CloudEvent a subscriber would parse. */
  cloudEvent: unknown;
}

export interface EmbeddedEstate {
  plan: Plan;
  /** What the local demo shortened (probe interval, timeouts, split cadences). */
  planNotes: string[];
  watchdogSchedule: string;
  /** `http://127.0.0.1:<port>`; the HTTP API is under `/api/`. */
  apiUrl: string;
  /** `http://127.0.0.1:<port>/sim`. */
  simUrl: string;
  functionKey: string;
  /** Needed on every `/sim/*` call, as `x-functions-key` or `?code=`. */
  simKey: string;
  storeDir: string;
  sim: ArmSimulator;
  broker: ServiceBusBroker;
  host: FunctionsHost;
  /** The plan's topic or queue. */
  notificationEntity: string;
  notifications(): ReceivedNotification[];
  stop(): Promise<void>;
}

export class EmbeddedStartError extends Error {
  override readonly name = 'EmbeddedStartError';
}

export function toReceivedNotification(m: BrokerMessage): ReceivedNotification {
  const body = (typeof m.body === 'object' && m.body !== null ? m.body : {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    type: str(body.type) ?? '(not a CloudEvent)',
    subject: str(body.subject) ?? m.subject,
    messageId: m.messageId ?? str(body.id),
    time: str(body.time),
    enqueuedTime: m.enqueuedTime.toISOString(),
    data: body.data ?? m.body,
    cloudEvent: m.body,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

async function listen(server: Server, port: number, what: string): Promise<number> {
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new EmbeddedStartError(
          `${what} could not listen on 127.0.0.1:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolvePromise());
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}

/** Reads the plan file and applies the local cadence; the result is checked like any plan. */
export function loadLocalPlan(
  planFile: string,
  cadence: LocalCadence,
): { plan: Plan; notes: string[]; demoPlan: DemoPlan } {
  const text = readFileSync(planFile, 'utf8');
  const local = localDemoPlan(JSON.parse(text) as unknown, cadence);
  const demoText = JSON.stringify(local.document, null, 2);
  const { plan } = parsePlan(demoText, `${planFile} (local cadence)`, dirname(resolve(planFile)));
  return {
    plan,
    notes: local.notes,
    demoPlan: { text: demoText, file: resolve(planFile), notes: local.notes },
  };
}

export async function startEmbeddedEstate(options: EmbeddedOptions): Promise<EmbeddedEstate> {
  const now = options.now ?? (() => new Date());
  // In causal order: lines seen by polling the host are held until what they caused can follow them.
  const log = causalLog(options.log, () => now().getTime());
  const { plan, notes, demoPlan } = loadLocalPlan(options.planFile, options.cadence);
  const watchdogSchedule = watchdogScheduleFor(plan.policy.probeInterval);
  const sb = plan.notifications?.serviceBus;
  const entity = sb?.topic ?? sb?.queue;
  if (!sb || !entity)
    throw new EmbeddedStartError(`${options.planFile}: the embedded estate needs notifications.serviceBus`);

  const cleanups: (() => Promise<void>)[] = [async () => log.close()];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log({ at: now(), topic: 'stop', level: 'warn', message: `cleanup failed: ${String(err)}` });
      }
    }
  };

  try {
    const sim = await startArmSimulator({
      seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, options.planFile)),
      followRealTimeMs: 250,
    });
    cleanups.push(() => sim.stop());

    // A key of its own, not the broker's well-known default: no other local process may forge or read events.
    const broker = await startServiceBusBroker({
      ...(sb.topic ? { topics: [{ name: sb.topic, subscriptions: ['audit'] }] } : { queues: [entity] }),
      sharedAccessKey: randomBytes(32).toString('base64'),
    });
    cleanups.push(() => broker.stop());
    const notifications = (): ReceivedNotification[] => broker.messages(entity).map(toReceivedNotification);

    // `/sim/info` reads this object on every request, so the API address can be filled in once known.
    // demoPlan: what `dr ready|whatif --sim` check against, so they see the cadences this demo writes.
    const info: Record<string, unknown> = { plan, localCadence: notes, demoPlan };
    const simHandler = createSimControlHandler(sim, info, [
      { route: 'GET /sim/notifications', what: 'the CloudEvents the broker received, each also raw' },
      {
        route: 'POST /sim/router/{entry}',
        what: "a caller's request through the entry's router (body: the request's JSON): which region's workflow ran it, or why none did",
      },
    ]);
    const armConnection = { ...simulatorConnection(sim), maxRetries: 0 };
    const rawControl = createArmLogicAppsControl(armConnection);
    const caller = routerCaller(sim, plan, rawControl);
    // The control API injects outages and shows the function key (/sim/info): not for any local process.
    const simKey = options.simKey ?? randomBytes(18).toString('base64url');
    const control = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!presentsKey(req, url, [simKey])) {
        req.resume();
        return sendJson(res, 401, {
          error: {
            code: 'Unauthorized',
            message: 'The simulator control API needs its key (x-functions-key or ?code=)',
          },
        });
      }
      const path = url.pathname.replace(/\/+$/, '');
      if (path === '/sim/notifications' && (req.method ?? 'GET').toUpperCase() === 'GET') {
        req.resume();
        return sendJson(res, 200, { entity, notifications: notifications() });
      }
      const routed = /^\/sim\/router\/([^/]+)$/.exec(path);
      if (routed) return void sendThroughRouter(req, res, caller, decodeURIComponent(routed[1]!));
      return simHandler(req, res);
    });
    const simPort = await listen(control, options.simPort, 'the simulator control API (SIM_PORT)');
    cleanups.push(() => closeServer(control));

    const routers = createArmRouterControl(armConnection);
    // As the deployment leaves them: every entry's router sends calls to the primary.
    await pointRoutersAtPrimary(plan, rawControl, routers);
    const notifier: Notifier = createServiceBusNotifier(
      { connectionString: broker.connectionString, ...(sb.topic ? { topic: sb.topic } : { queue: entity }) },
      { timeoutMs: 2_000 },
    );
    cleanups.push(async () => {
      installControlPlane(undefined);
      installLocalPrincipalTrust(false);
      installLocalKeyIsOperator(false);
      await notifier.close();
    });
    // No App Service Authentication in front of a local demo: let x-ms-client-principal stand in for it,
    // so app roles can be tried out, and let the printed demo key operate (it guards a simulator). The
    // Azure-mode start does neither: there a key alone is a reader unless DR_KEY_IS_OPERATOR=true.
    installLocalPrincipalTrust(true);
    installLocalKeyIsOperator(true);
    installControlPlane({
      plan,
      control: loggingControl(rawControl, log, now),
      routers,
      probe: loggingProbe(
        createHealthProbe({ control: rawControl, plan, settings: {}, ca: sim.caCertPem }),
        log,
        now,
      ),
      notifier,
      describe: `the local ARM simulator at ${sim.armEndpoint}`,
      armLatencyMs: () => armConnection.throttle?.observedLatencyMs(),
    });

    if (!options.keepState) rmSync(options.storeDir, { recursive: true, force: true });
    mkdirSync(options.storeDir, { recursive: true });
    const host = await startFunctionsHost({
      files: [options.functionsDir],
      settings: { DR_WATCHDOG_SCHEDULE: watchdogSchedule, DR_TASK_HUB: options.taskHub ?? 'drlocal' },
      clock: 'real',
      httpPort: options.httpPort,
      storeDir: options.storeDir,
      functionKeys: [options.functionKey],
      taskHubName: options.taskHub ?? 'drlocal',
      log: (e: HostLogEntry) => forwardHostLog(e, log, now),
    });
    cleanups.push(() => host.stop());
    info.api = { url: `${host.url}/api`, functionKey: options.functionKey };

    const stopWatching = watchControlPlane(host, plan.id, log, now);
    cleanups.push(async () => stopWatching());
    let seen = 0;
    const notificationTimer = setInterval(() => {
      const all = notifications();
      for (const n of all.slice(seen)) {
        log({ at: now(), topic: 'notify', message: `${n.type} (${n.messageId ?? 'no id'})` });
      }
      seen = all.length;
    }, 250);
    notificationTimer.unref();
    cleanups.push(async () => clearInterval(notificationTimer));

    return {
      plan,
      planNotes: notes,
      watchdogSchedule,
      apiUrl: host.url,
      simUrl: `http://127.0.0.1:${simPort}/sim`,
      functionKey: options.functionKey,
      simKey,
      storeDir: options.storeDir,
      sim,
      broker,
      host,
      notificationEntity: entity,
      notifications,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * `POST /sim/router/{entry}`: one caller's request through the entry's router, as a gateway would answer it:
 * 200 with the fate when a workflow ran it, 502 with the fate when the region refused or did not answer or
 * the router sent it nowhere; 404 / 400 for an entry the plan does not have or that has no router.
 */
async function sendThroughRouter(
  req: IncomingMessage,
  res: ServerResponse,
  caller: RouterCaller,
  entry: string,
): Promise<void> {
  if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
    req.resume();
    return sendJson(res, 405, {
      error: { code: 'MethodNotAllowed', message: `POST /sim/router/${entry} only` },
    });
  }
  try {
    const fate = await caller.send(entry, (await readBody(req)) || '{}');
    sendJson(res, fate.outcome === 'ran' ? 200 : 502, { entry, fate: fateLine(fate), ...fate });
  } catch (err) {
    if (err instanceof RouterCallError)
      return sendJson(res, err.status, {
        error: { code: err.status === 404 ? 'NotFound' : 'BadRequest', message: err.message },
      });
    sendJson(res, 500, { error: { code: 'InternalError', message: (err as Error).message } });
  }
}

/** Host messages worth an operator's eye: warnings and errors, and what the functions themselves log. */
function forwardHostLog(e: HostLogEntry, log: LiveLog, now: () => Date): void {
  const level = e.level.toLowerCase();
  const bad = level === 'error' || level === 'critical';
  if (!bad && level !== 'warning' && (e.category !== 'user' || level === 'debug' || level === 'trace'))
    return;
  log({
    at: now(),
    topic: 'host',
    level: bad ? 'error' : level === 'warning' ? 'warn' : 'info',
    message: `${e.functionName ? `${e.functionName}: ` : ''}${e.message}`,
  });
}
