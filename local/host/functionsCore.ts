/**
 * A stand-in for `@azure/functions-core`, the module the Functions Node worker injects into every app.
 * `@azure/functions` looks for it on first use; when it is found, every `app.*` / `df.app.*` call registers
 * with it instead of being dropped in "test mode". The host resolves `require('@azure/functions-core')` to
 * this object (Node's resolver is patched once per process), captures registrations while it loads the
 * function files, and later asks the captured programming model to turn invocation data into handler
 * arguments exactly as the worker does.
 */
import Module from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RegistrationError } from './errors';

/** Binding metadata as `@azure/functions` hands it to the worker (`RpcBindingInfo` plus trigger options). */
export interface CoreBinding {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [option: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export type CoreFunctionCallback = (...args: unknown[]) => unknown;

/** One parameter binding of an invocation request (`RpcParameterBinding`). */
export interface CoreParameterBinding {
  name: string;
  data?: CoreTypedData;
}

/** The worker's typed data union (`RpcTypedData`), the subset this host produces and reads. */
export interface CoreTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: CoreHttpData;
}

export interface CoreHttpData {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: CoreTypedData;
  statusCode?: string;
  cookies?: unknown[];
}

export interface CoreInvocationResponse {
  invocationId: string;
  outputData?: { name: string; data?: CoreTypedData | null }[];
  returnValue?: CoreTypedData | null;
}

export interface CoreInvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreFunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<CoreInvocationResponse>;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId: string;
    inputData: CoreParameterBinding[];
    triggerMetadata: Record<string, CoreTypedData>;
  };
  metadata: CoreFunctionMetadata;
  state?: string;
  log(level: string, category: string, message: string): void;
}

export interface CoreProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): CoreInvocationModel;
}

export interface CapturedFunction {
  metadata: CoreFunctionMetadata;
  callback: CoreFunctionCallback;
  /** The function file being loaded when it registered. */
  sourceFile: string | undefined;
}

export type CoreLogSink = (level: string, category: string, message: string) => void;

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';

interface CoreState {
  model: CoreProgrammingModel | undefined;
  sink: CapturedFunction[] | undefined;
  currentFile: string | undefined;
  hooks: { name: string; callback: (ctx: unknown) => unknown }[];
  systemLog: CoreLogSink;
  resolverPatched: boolean;
  generation: number;
}

const CORE_ID = '@azure/functions-core';
// Kept on globalThis so two copies of this module (test runners can load one per file) share one state.
const STATE_KEY = Symbol.for('logic-apps-failover.host.functionsCore');

function coreState(): CoreState {
  const g = globalThis as unknown as Record<symbol, CoreState | undefined>;
  let state = g[STATE_KEY];
  if (!state) {
    state = {
      model: undefined,
      sink: undefined,
      currentFile: undefined,
      hooks: [],
      systemLog: () => undefined,
      resolverPatched: false,
      generation: 0,
    };
    g[STATE_KEY] = state;
  }
  return state;
}

class CoreDisposable {
  constructor(private readonly onDispose: () => void) {}
  dispose(): void {
    this.onDispose();
  }
}

/** The module object `require('@azure/functions-core')` returns. */
const functionsCore = {
  hostVersion: '4.0.0-inproc',
  version: '3.10.1',
  registerFunction(metadata: CoreFunctionMetadata, callback: CoreFunctionCallback): CoreDisposable {
    const state = coreState();
    if (!state.sink) {
      throw new RegistrationError(
        `Function '${metadata.name}' registered outside a host load; load function files through startFunctionsHost`,
      );
    }
    const entry: CapturedFunction = { metadata, callback, sourceFile: state.currentFile };
    const sink = state.sink;
    sink.push(entry);
    return new CoreDisposable(() => {
      const i = sink.indexOf(entry);
      if (i >= 0) sink.splice(i, 1);
    });
  },
  setProgrammingModel(model: CoreProgrammingModel): void {
    coreState().model = model;
  },
  getProgrammingModel(): CoreProgrammingModel | undefined {
    return coreState().model;
  },
  registerHook(name: string, callback: (ctx: unknown) => unknown): CoreDisposable {
    const hooks = coreState().hooks;
    const entry = { name, callback };
    hooks.push(entry);
    return new CoreDisposable(() => {
      const i = hooks.indexOf(entry);
      if (i >= 0) hooks.splice(i, 1);
    });
  },
  log(level: string, category: string, message: string): void {
    coreState().systemLog(level, category, message);
  },
  Disposable: CoreDisposable,
};

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

/**
 * Makes `require('@azure/functions-core')` return the stand-in, process-wide. Idempotent. Must run before the
 * first `app.*` call of `@azure/functions`, which caches a failed lookup as "test mode" for good; importing
 * the host module runs it.
 */
export function installFunctionsCore(): void {
  const state = coreState();
  if (state.resolverPatched) return;
  const moduleApi = Module as unknown as {
    _resolveFilename: ResolveFilename;
    _cache: Record<string, unknown>;
  };
  const original = moduleApi._resolveFilename;
  moduleApi._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    if (request === CORE_ID) return CORE_ID;
    return original.call(this, request, parent, isMain, options);
  };
  const fake = new Module(CORE_ID);
  fake.exports = functionsCore;
  fake.loaded = true;
  moduleApi._cache[CORE_ID] = fake;
  state.resolverPatched = true;
}

export function setCoreSystemLog(sink: CoreLogSink): void {
  coreState().systemLog = sink;
}

export function programmingModel(): CoreProgrammingModel {
  const model = coreState().model;
  if (!model) {
    throw new RegistrationError(
      'No programming model: no function file called app.* from @azure/functions, so nothing is registered',
    );
  }
  return model;
}

export function registeredHooks(name: HookName): ((ctx: unknown) => unknown)[] {
  return coreState()
    .hooks.filter((h) => h.name === name)
    .map((h) => h.callback);
}

const LOADABLE = /\.(c|m)?(t|j)s$/;
const NOT_FUNCTIONS = /(\.d\.(c|m)?ts|\.test\.(t|j)s|\.spec\.(t|j)s)$/;

/**
 * Expands the host's `files` option: plain files, directories (every .ts/.js file below, sorted) and a
 * `*` pattern in the last path segment (`functions/*.ts`).
 */
export function expandFunctionFiles(entries: readonly string[], baseDir: string): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const abs = path.resolve(baseDir, entry);
    const base = path.basename(abs);
    if (base.includes('*')) {
      const dir = path.dirname(abs);
      const pattern = new RegExp(
        '^' +
          base
            .split('*')
            .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*') +
          '$',
      );
      if (!fs.existsSync(dir)) throw new RegistrationError(`Function directory '${dir}' does not exist`);
      out.push(
        ...fs
          .readdirSync(dir)
          .filter((f) => pattern.test(f) && !NOT_FUNCTIONS.test(f))
          .sort()
          .map((f) => path.join(dir, f)),
      );
    } else if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
      out.push(...walk(abs));
    } else if (fs.existsSync(abs)) {
      out.push(abs);
    } else {
      throw new RegistrationError(`Function file '${abs}' does not exist`);
    }
  }
  return [...new Set(out)];
}

function walk(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') found.push(...walk(full));
    } else if (LOADABLE.test(entry.name) && !NOT_FUNCTIONS.test(entry.name)) {
      found.push(full);
    }
  }
  return found;
}

/**
 * Loads function files and returns what they registered. Each load imports the files afresh (a new
 * module instance), so a second host in the same process captures the same registrations again; modules
 * the files import are shared as usual.
 */
export async function captureRegistrations(files: readonly string[]): Promise<CapturedFunction[]> {
  installFunctionsCore();
  const state = coreState();
  if (state.sink) throw new RegistrationError('Another host is loading function files at the same time');
  const sink: CapturedFunction[] = [];
  state.sink = sink;
  state.generation += 1;
  try {
    for (const file of files) {
      state.currentFile = file;
      // Native require caches by file name: drop the entry so the file runs (and registers) again.
      delete (Module as unknown as { _cache: Record<string, unknown> })._cache[file];
      const url = `${pathToFileURL(file).href}?host-load=${state.generation}`;
      try {
        await import(url);
      } catch (err) {
        throw new RegistrationError(
          `Loading function file '${file}' failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  } finally {
    state.sink = undefined;
    state.currentFile = undefined;
  }
  return sink;
}
