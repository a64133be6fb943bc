/**
 * The in-process Functions + Durable host: loads the real function files, captures their registrations
 * through a stand-in `@azure/functions-core`, and runs them — HTTP triggers on a local server, timer triggers
 * on the host clock, orchestrations through durable-functions' own replay, the durable client against this
 * host's implementation of the extension's HTTP API.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactSecrets } from '../../src/http/redact';
import { HostError, UnknownFunctionError } from './errors';
import { RealClock, VirtualClock, type HostClock } from './clock';
import {
  DurableEngine,
  type DurableStats,
  type EpisodeResult,
  type InstanceFilter,
  type InstanceStatus,
  type ReplayTask,
} from './durable/engine';
import {
  clientReads,
  durableClientInput,
  handleDurableApi,
  RPC_PREFIX,
  WEBHOOK_PREFIX,
  type ClientReads,
} from './durable/api';
import type { StoredEvent } from './durable/history';
import { FileStore, FreezableStore, MemoryStore } from './durable/store';
import {
  captureRegistrations,
  expandFunctionFiles,
  installFunctionsCore,
  registeredHooks,
  setCoreSystemLog,
  type CoreTypedData,
} from './functionsCore';
import { describeRegistrations, invokeRegistration, type FunctionRegistration } from './registrations';
import { compileRoute, decodePath, type CompiledRoute } from './routes';
import { presentsKey } from './keys';
import { TimerTriggers, type TimerWireInput } from './timerTriggers';

// Patch module resolution as soon as the host is imported: @azure/functions must never see "test mode".
installFunctionsCore();

export interface HostLogEntry {
  level: string;
  /** `user` (context.log), `system` (@azure/functions itself) or `host`. */
  category: string;
  functionName?: string;
  message: string;
}

export interface FunctionsHostOptions {
  /** Function files, directories (all .ts/.js below) or `dir/*.ts` patterns. */
  files: readonly string[];
  /** Resolves relative `files`; default: the current directory. */
  baseDir?: string;
  /** App settings: `%NAME%` in binding metadata resolves against these. */
  settings?: Readonly<Record<string, string | undefined>>;
  /** `virtual` (tests: time moves only with advanceBy) or `real` (wall clock). Default virtual. */
  clock?: 'virtual' | 'real';
  /** Start of virtual time. Default 2025-01-01T00:00:00Z. */
  startTime?: Date | string | number;
  /** Port of the local listener (HTTP triggers and the Durable API). Default 0: a free port. */
  httpPort?: number;
  /** Directory for instance histories and timer status; without it everything stays in memory. */
  storeDir?: string;
  /** Replay every episode twice from scratch and fail the instance when the two disagree. */
  checkDeterminism?: boolean;
  /** Keys accepted for authLevel `function` (header `x-functions-key` or query `code`). */
  functionKeys?: readonly string[];
  /**
   * Accepted for `function` and `admin` levels, and the only key of the Durable routes (RPC and webhook).
   * Without it the host generates a random one at start; it is never logged.
   */
  masterKey?: string;
  /** Largest request body of an `/api/` route, in bytes (413 beyond it). Default 64 KiB. */
  maxBodyBytes?: number;
  /**
   * Largest request body of a Durable route (orchestration inputs and event data: the monitor carries its
   * state over in its input, so this is larger). Default 1 MiB.
   */
  maxDurableBodyBytes?: number;
  taskHubName?: string;
  /** The replay schema the host announces (durable-functions' upperSchemaVersion). Default V4. */
  replaySchema?: 'V1' | 'V2' | 'V3' | 'V4';
  maxConcurrentActivities?: number;
  /** Arm timer triggers on start. Default true. */
  startTimers?: boolean;
  log?: (entry: HostLogEntry) => void;
  /**
   * Crash test hook: called when an activity function has returned, before its result is recorded. Returning
   * true kills the host right there, like a process exit: that result and everything after it is never
   * persisted (activities already running finish their side effects, unrecorded), nothing new is dispatched.
   * A new host over the same `storeDir` then runs those activities again.
   */
  crashAfterActivity?: (activity: { name: string; input: unknown; result: unknown }) => boolean;
}

export interface HostStats extends DurableStats {
  functionExecutions: number;
  executionsByFunction: Record<string, number>;
}

export interface DurableHandle {
  startNew(name: string, options?: { instanceId?: string; input?: unknown }): string;
  getStatus(instanceId: string, options?: { showHistory?: boolean }): InstanceStatus | undefined;
  raiseEvent(instanceId: string, eventName: string, data?: unknown): 'accepted' | 'notFound' | 'notRunning';
  terminate(instanceId: string, reason?: string): 'accepted' | 'notFound' | 'notRunning';
  purge(instanceId: string): boolean;
  /** Queues an instance's messages until release(), which delivers them as one batch (tests only). */
  hold(instanceId: string): void;
  release(instanceId: string): void;
  list(filter?: InstanceFilter): InstanceStatus[];
  history(instanceId: string): StoredEvent[] | undefined;
  /** What clients read through the Durable HTTP API so far (instances returned, query pages). */
  clientReads(): ClientReads;
  /** The host-side error that failed the instance (e.g. NonDeterminismError), if any. */
  lastError(instanceId: string): Error | undefined;
}

export interface HostClockHandle {
  readonly kind: 'virtual' | 'real';
  now(): number;
  /** Virtual clock only: moves time forward, running everything that falls due, in order, until idle. */
  advanceBy(ms: number): Promise<void>;
  advanceTo(ms: number): Promise<void>;
}

export interface FunctionsHost {
  /** Base URL of the listener, e.g. `http://127.0.0.1:43817`; HTTP triggers are under `/api/`. */
  readonly url: string;
  readonly registrations: readonly FunctionRegistration[];
  readonly durable: DurableHandle;
  readonly clock: HostClockHandle;
  /** Resolves when no orchestration episode, activity or timer-trigger run is queued or running. */
  runUntilIdle(): Promise<void>;
  /** Runs a timer-triggered function now with `isPastDue: false`. */
  invokeTimer(name: string): Promise<void>;
  stats(): HostStats;
  /** True once `crashAfterActivity` has killed this host (only `stop()` is still useful). */
  readonly crashed: boolean;
  stop(): Promise<void>;
}

const SCHEMAS = { V1: 0, V2: 1, V3: 2, V4: 3 } as const;
const OUT_OF_PROC_MARKER = '\n\n$OutOfProcData$:';

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const settings = options.settings ?? {};
  const log = options.log ?? defaultLog;
  setCoreSystemLog((level, category, message) => log({ level, category, message }));
  const userLog = (functionName: string, level: string, message: string): void =>
    log({ level, category: 'user', functionName, message });

  const files = expandFunctionFiles(options.files, options.baseDir ?? process.cwd());
  const registrations = describeRegistrations(await captureRegistrations(files), settings);
  const byName = new Map(registrations.map((r) => [r.name.toLowerCase(), r]));
  const find = (name: string, kind: FunctionRegistration['kind']): FunctionRegistration | undefined => {
    const reg = byName.get(name.toLowerCase());
    return reg?.kind === kind ? reg : undefined;
  };

  const clock: HostClock =
    options.clock === 'real'
      ? new RealClock()
      : new VirtualClock(toMs(options.startTime ?? '2025-01-01T00:00:00Z'));
  const store = new FreezableStore(options.storeDir ? new FileStore(options.storeDir) : new MemoryStore());
  const taskHubName = options.taskHubName ?? 'InProcHub';
  // The Durable routes start, signal, terminate and purge instances: never a guessable default key.
  const systemKey = options.masterKey ?? randomBytes(32).toString('base64url');
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const maxDurableBody = options.maxDurableBodyBytes ?? 1024 * 1024;
  const executions = new Map<string, number>();
  let baseUrl = '';
  let crashed = false;
  const crash = (): void => {
    crashed = true;
    store.freeze();
    timers.stop();
    void engine.stop();
    log({
      level: 'warning',
      category: 'host',
      message: 'crashed (crashAfterActivity): nothing more is persisted',
    });
  };

  const invoke = async (
    reg: FunctionRegistration,
    trigger: CoreTypedData | undefined,
  ): ReturnType<typeof invokeRegistration> => {
    executions.set(reg.name, (executions.get(reg.name) ?? 0) + 1);
    const extra: Record<string, CoreTypedData> = {};
    if (reg.durableClientBinding) {
      extra[reg.durableClientBinding] = {
        string: JSON.stringify(durableClientInput(baseUrl, taskHubName, systemKey)),
      };
    }
    return invokeRegistration(reg, { trigger, extra }, userLog);
  };

  const engine = new DurableEngine({
    clock,
    store,
    checkDeterminism: options.checkDeterminism ?? false,
    replaySchema: SCHEMAS[options.replaySchema ?? 'V4'],
    maxConcurrentActivities: options.maxConcurrentActivities ?? 10,
    isOrchestrator: (name) => find(name, 'orchestration') !== undefined,
    isActivity: (name) => find(name, 'activity') !== undefined,
    log: (level, message) => log({ level, category: 'host', message }),
    runOrchestrator: async (name, payload): Promise<EpisodeResult> => {
      const reg = find(name, 'orchestration')!;
      let outcome: Awaited<ReturnType<typeof invoke>> | undefined;
      try {
        outcome = await invoke(reg, { string: JSON.stringify(payload) });
      } catch (err) {
        return orchestratorFailure(err);
      }
      return {
        state: outcome.result as EpisodeResult['state'],
        error: undefined,
        openTasks: openTasksOf(outcome.context),
      };
    },
    runActivity: async (name, inputJson) => {
      const reg = find(name, 'activity')!;
      // Like the extension: a string input goes over as a plain string (durable-functions JSON-encoded
      // it once already, and the worker decodes it again); anything else as JSON.
      const value: unknown = inputJson === undefined ? undefined : JSON.parse(inputJson);
      const trigger: CoreTypedData | undefined =
        inputJson === undefined
          ? undefined
          : typeof value === 'string'
            ? { string: value }
            : { json: inputJson };
      const outcome = await invoke(reg, trigger);
      if (!crashed && options.crashAfterActivity?.({ name, input: asSeen(value), result: outcome.result }))
        crash();
      return outcome.result;
    },
  });

  const timers = new TimerTriggers(
    clock,
    store,
    registrations,
    async (reg, input: TimerWireInput) => {
      await invoke(reg, { json: JSON.stringify(input) });
    },
    (message) => log({ level: 'error', category: 'host', message }),
  );

  const routes: { reg: FunctionRegistration; route: CompiledRoute }[] = registrations
    .filter((r) => r.kind === 'http' && r.http)
    .map((reg) => ({ reg, route: compileRoute(reg.http!.route) }));

  const server = http.createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      // The URL may carry ?code=<key>, the error may quote it: neither reaches the log unredacted.
      log({
        level: 'error',
        category: 'host',
        message: redactSecrets(`HTTP ${req.method} ${req.url} failed: ${String(err)}`),
      });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', baseUrl);
    } catch {
      return send(res, 400, { message: 'The request target is not a URL' });
    }
    const method = (req.method ?? 'GET').toUpperCase();
    // Every route decodes its segments; a malformed escape is the caller's mistake, found before any key check.
    if (decodePath(url.pathname) === undefined)
      return send(res, 400, { message: 'The path has a malformed percent-escape' });
    const durablePrefix = url.pathname.startsWith(RPC_PREFIX)
      ? RPC_PREFIX
      : url.pathname.startsWith(WEBHOOK_PREFIX)
        ? WEBHOOK_PREFIX
        : undefined;
    if (durablePrefix) {
      if (!presentsKey(req, url, [systemKey], { basic: true }))
        return send(res, 401, {
          message: 'The Durable routes need the system key (?code= or x-functions-key)',
        });
      const body = await readCapped(req, res, maxDurableBody);
      if (!body) return;
      const answer = handleDurableApi(
        engine,
        {
          method,
          path: url.pathname.slice(durablePrefix.length),
          query: url.searchParams,
          body: body.toString('utf8'),
          ...(typeof req.headers['x-ms-continuation-token'] === 'string'
            ? { continuationToken: req.headers['x-ms-continuation-token'] }
            : {}),
        },
        { baseUrl, taskHubName, systemKey },
      );
      return send(res, answer.status, answer.body, answer.headers);
    }
    if (!url.pathname.toLowerCase().startsWith('/api/')) return send(res, 404, { message: 'Not found' });
    const path = url.pathname.slice('/api/'.length);
    let allowedElsewhere = false;
    for (const { reg, route } of routes) {
      const params = route.match(path);
      if (!params) continue;
      if (!reg.http!.methods.includes(method)) {
        allowedElsewhere = true;
        continue;
      }
      if (!authorised(reg, req, url))
        return send(res, 401, { message: `Function '${reg.name}' needs a key` });
      const body = await readCapped(req, res, maxBody);
      if (!body) return;
      return runHttpFunction(reg, req, res, url, method, params, body);
    }
    return allowedElsewhere
      ? send(res, 405, { message: 'Method not allowed' })
      : send(res, 404, { message: 'Not found' });
  }

  function authorised(reg: FunctionRegistration, req: http.IncomingMessage, url: URL): boolean {
    const level = reg.http!.authLevel;
    if (level === 'anonymous') return true;
    const keys = level === 'function' ? [...(options.functionKeys ?? [])] : [];
    if (options.masterKey !== undefined) keys.push(options.masterKey);
    return presentsKey(req, url, keys);
  }

  async function runHttpFunction(
    reg: FunctionRegistration,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: string,
    params: Record<string, string>,
    body: Buffer,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    let outcome;
    try {
      outcome = await invoke(reg, {
        http: { method, url: url.href, headers, query, params, body: { bytes: body } },
      });
    } catch (err) {
      log({
        level: 'error',
        category: 'host',
        functionName: reg.name,
        message: redactSecrets(
          `HTTP function '${reg.name}' threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        ),
      });
      return send(res, 500, undefined);
    }
    const data =
      outcome.response.returnValue?.http ??
      outcome.response.outputData?.find((o) => o.data?.http)?.data?.http;
    if (!data) return send(res, 204, undefined);
    const status = Number(data.statusCode ?? 200);
    res.writeHead(status, data.headers ?? {});
    const out = data.body;
    if (out?.bytes) res.end(Buffer.from(out.bytes));
    else if (out?.string !== undefined) res.end(out.string);
    else res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.httpPort ?? 0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (const hook of registeredHooks('appStart'))
    await hook({ hookData: {}, appHookData: {}, functionAppDirectory: options.baseDir ?? process.cwd() });
  if (options.startTimers !== false) timers.start();

  const drain = async (): Promise<void> => {
    // Each kind of work can cause the other (a timer function starts an orchestration), so loop.
    do {
      await engine.whenIdle();
      await timers.whenIdle();
    } while (!engine.isIdle() || !timers.isIdle());
  };
  const virtual = clock instanceof VirtualClock ? clock : undefined;
  // On virtual time, callbacks already due (a timer that fell due while no host ran) fire too.
  const runUntilIdle = (): Promise<void> => (virtual ? virtual.advanceTo(virtual.now(), drain) : drain());

  const needVirtual = (): VirtualClock => {
    if (!virtual) throw new HostError('advanceBy/advanceTo need the virtual clock (clock: "virtual")');
    return virtual;
  };
  let stopped = false;

  return {
    url: baseUrl,
    registrations,
    durable: {
      startNew: (name, o = {}) =>
        engine.startNew(name, {
          instanceId: o.instanceId,
          inputJson: o.input === undefined ? undefined : JSON.stringify(o.input),
        }),
      getStatus: (id, o = {}) => engine.getStatus(id, o),
      raiseEvent: (id, eventName, data) =>
        engine.raiseEvent(id, eventName, data === undefined ? undefined : JSON.stringify(data)),
      terminate: (id, reason) => engine.terminate(id, reason),
      purge: (id) => engine.purge(id),
      hold: (id) => engine.hold(id),
      release: (id) => engine.release(id),
      list: (filter) => engine.list(filter),
      history: (id) => engine.history(id),
      clientReads: () => clientReads(engine),
      lastError: (id) => engine.lastError(id),
    },
    clock: {
      kind: clock.kind,
      now: () => clock.now(),
      advanceBy: (ms) => needVirtual().advanceTo(clock.now() + ms, drain),
      advanceTo: (ms) => needVirtual().advanceTo(ms, drain),
    },
    runUntilIdle,
    invokeTimer: async (name) => {
      if (!find(name, 'timer')) throw new UnknownFunctionError(`No timer trigger function named '${name}'`);
      await timers.invokeNow(name);
    },
    stats: () => {
      const executionsByFunction = Object.fromEntries(executions);
      let functionExecutions = 0;
      for (const n of executions.values()) functionExecutions += n;
      return { ...engine.stats(), functionExecutions, executionsByFunction };
    },
    get crashed() {
      return crashed;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      timers.stop();
      await engine.stop();
      await timers.whenIdle();
      clock.cancelAll();
      for (const hook of registeredHooks('appTerminate')) await hook({ hookData: {}, appHookData: {} });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The executor's open tasks after a replay (durable-functions keeps the executor on `context.df`). */
function openTasksOf(context: unknown): Record<string, ReplayTask> | undefined {
  const df = (context as { df?: { taskOrchestratorExecutor?: { openTasks?: Record<string, ReplayTask> } } })
    .df;
  return df?.taskOrchestratorExecutor?.openTasks;
}

/** An orchestrator that throws rejects with `<message>\n\n$OutOfProcData$:<state JSON>`; the error is in the state. */
function orchestratorFailure(err: unknown): EpisodeResult {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.indexOf(OUT_OF_PROC_MARKER);
  if (at >= 0) {
    try {
      const state = JSON.parse(message.slice(at + OUT_OF_PROC_MARKER.length)) as EpisodeResult['state'];
      return { state, error: state?.error ?? message.slice(0, at), openTasks: undefined };
    } catch {
      // fall through: report the raw message
    }
  }
  return { state: undefined, error: message, openTasks: undefined };
}

/**
 * Reads the body up to `cap` bytes. Beyond it (announced by Content-Length or seen while streaming) the
 * caller gets 413 and the connection is closed, so the rest is never read; returns undefined then.
 */
function readCapped(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  cap: number,
): Promise<Buffer | undefined> {
  const tooLarge = (): undefined => {
    req.pause();
    send(res, 413, { message: `The request body is larger than ${cap} bytes` }, { Connection: 'close' });
    return undefined;
  };
  if (Number(req.headers['content-length'] ?? 0) > cap) return Promise.resolve(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= cap) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd);
      resolve(tooLarge());
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type':
      typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(text);
}

/** The input as the activity function receives it: the worker decodes a string input once more. */
function asSeen(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function toMs(t: Date | string | number): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (Number.isNaN(ms)) throw new HostError(`startTime '${String(t)}' is not a date`);
  return ms;
}

function defaultLog(entry: HostLogEntry): void {
  if (entry.level === 'error' || entry.level === 'critical') {
    console.error(
      `[${entry.category}${entry.functionName ? ` ${entry.functionName}` : ''}] ${entry.message}`,
    );
  }
}
