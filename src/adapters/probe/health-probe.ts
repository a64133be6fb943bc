/**
 * The health probe behind the monitor's probe activity: resolves the health-check URL (a Request trigger's
 * callback URL through ARM, or an app setting), POSTs to it within the plan's timeout, judges the answer, and
 * probes the plan's dependencies alongside. Never rejects: every problem is a failed ProbeResult with a class.
 */
import { performance } from 'node:perf_hooks';
import { locatorFor } from '../../estate/locate';
import { DurationError, durationMs } from '../../core/duration';
import type { FailureClass, ProbeResult } from '../../core/monitor';
import type { DependencyProbe, HealthCheck, Plan, WorkflowRef } from '../../plan/schema';
import { ArmTerminalError, ArmTransientError, redactSignatures } from '../arm/errors';
import type { LogicAppsControl } from '../logicapps/port';
import { classifyTransportError } from './classify';
import { createProbeAgents, postProbe } from './http';
import { judgeResponse } from './judge';

export interface HealthProbeDeps {
  /** Resolves `{ workflow, trigger }` targets (triggers/listCallbackUrl: needs Logic App Contributor). */
  control: LogicAppsControl;
  /** For locators: a workflow name lives in the primary region's resource group. */
  plan: Plan;
  /** App settings, for `{ urlSetting }` targets. */
  settings: Readonly<Record<string, string | undefined>>;
  /** Extra CA (PEM) to trust, e.g. the ARM simulator's; undefined in Azure. */
  ca?: string;
  /** Source of the probe's `at` time (default Date.now). */
  clock?: { now(): number };
}

export interface DependencyOutcome {
  name: string;
  result: ProbeResult;
}

/** The main probe's result; `healthy`, `failure` and `detail` also account for the dependency rule. */
export type HealthProbeOutcome = ProbeResult & { dependencies?: DependencyOutcome[] };

export interface HealthProbe {
  /** Probes once. `now` sets `at` (e.g. the orchestration's time); default the clock. Never rejects. */
  probe(healthCheck: HealthCheck, now?: Date): Promise<HealthProbeOutcome>;
}

/** What one probe needs: the main health check and each dependency share these fields. */
type ProbeTarget = Pick<
  DependencyProbe,
  'workflow' | 'trigger' | 'urlSetting' | 'expectStatus' | 'expectBody'
>;

type Resolution =
  | { ok: true; url: URL; cached?: { key: string; entry: Promise<string> } }
  | { ok: false; failure: FailureClass; detail: string };

type Settled<T> =
  { ok: true; value: T } | { ok: false; timedOut: true } | { ok: false; timedOut: false; error: unknown };

/** Waits for `promise` at most `ms`; the promise keeps running (its outcome is still handled) after a timeout. */
function within<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, timedOut: true }), Math.max(1, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, timedOut: false, error });
      },
    );
  });
}

const refText = (ref: WorkflowRef): string => (typeof ref === 'string' ? ref : `${ref.site}/${ref.workflow}`);

function describeTarget(target: ProbeTarget): string {
  if (target.workflow !== undefined) {
    return `primary:${refText(target.workflow)}, trigger ${target.trigger ?? '(none)'}`;
  }
  if (target.urlSetting !== undefined) return `URL from app setting ${target.urlSetting}`;
  return 'no target';
}

/** How ARM failed to give us the callback URL, in the probe's failure classes. */
function classifyResolutionError(error: unknown): FailureClass {
  const fromArm = error instanceof ArmTransientError || error instanceof ArmTerminalError;
  // ARM answered with an HTTP error (403 without Logic App Contributor, 404, 5xx): not a transport class.
  if (fromArm && error.status !== undefined) return 'error';
  return classifyTransportError(error).failure;
}

export function createHealthProbe(deps: HealthProbeDeps): HealthProbe {
  const clock = deps.clock ?? { now: () => Date.now() };
  const agents = createProbeAgents(deps.ca);
  /** Callback URLs per workflow+trigger, resolved once; an entry is dropped when the URL stops working. */
  const callbackUrls = new Map<string, Promise<string>>();

  const forget = (key: string, entry: Promise<string>): void => {
    if (callbackUrls.get(key) === entry) callbackUrls.delete(key);
  };

  const callbackUrl = (ref: WorkflowRef, trigger: string): { key: string; url: Promise<string> } => {
    const key = JSON.stringify([ref, trigger]);
    let url = callbackUrls.get(key);
    if (!url) {
      const locator = locatorFor(deps.plan, { region: 'primary', ref, label: `primary:${refText(ref)}` });
      const pending = deps.control.getCallbackUrl(locator, trigger);
      url = pending;
      callbackUrls.set(key, pending);
      // A failed resolution is retried by the next probe; the catch also keeps a late failure handled.
      pending.catch(() => forget(key, pending));
    }
    return { key, url };
  };

  async function resolve(target: ProbeTarget, budgetMs: number): Promise<Resolution> {
    if (target.workflow !== undefined) {
      if (target.trigger === undefined) {
        return { ok: false, failure: 'error', detail: 'names a workflow but no trigger' };
      }
      const { key, url } = callbackUrl(target.workflow, target.trigger);
      const settled = await within(url, budgetMs);
      if (!settled.ok) {
        if (settled.timedOut) {
          // A lookup stuck on a dead connection must not block every later probe: the next one asks again.
          forget(key, url);
          return { ok: false, failure: 'timeout', detail: `ARM gave no callback URL within ${budgetMs} ms` };
        }
        const message = settled.error instanceof Error ? settled.error.message : String(settled.error);
        return {
          ok: false,
          failure: classifyResolutionError(settled.error),
          detail: `callback URL not resolved: ${message}`,
        };
      }
      const parsed = parseHttpUrl(settled.value);
      if (!parsed) {
        forget(key, url);
        return {
          ok: false,
          failure: 'error',
          detail: 'ARM returned a callback URL that is not an http(s) URL',
        };
      }
      return { ok: true, url: parsed, cached: { key, entry: url } };
    }
    if (target.urlSetting !== undefined) {
      const value = deps.settings[target.urlSetting]?.trim();
      if (!value) {
        return {
          ok: false,
          failure: 'error',
          detail: `app setting ${target.urlSetting} is missing or empty`,
        };
      }
      const parsed = parseHttpUrl(value);
      // Never echo the value: it may carry a signature.
      if (!parsed) {
        return {
          ok: false,
          failure: 'error',
          detail: `app setting ${target.urlSetting} does not hold an http(s) URL`,
        };
      }
      return { ok: true, url: parsed };
    }
    return { ok: false, failure: 'error', detail: 'has neither workflow+trigger nor urlSetting' };
  }

  async function probeOne(
    target: ProbeTarget,
    timeout: string,
    name: string,
    at: string,
  ): Promise<ProbeResult> {
    const started = performance.now();
    const result = (
      fields:
        | { healthy: true; status?: number }
        | { healthy: false; status?: number; failure: FailureClass; detail: string },
    ): ProbeResult => ({
      at,
      healthy: fields.healthy,
      ...(fields.status !== undefined ? { status: fields.status } : {}),
      latencyMs: Math.round(performance.now() - started),
      ...(fields.healthy
        ? {}
        : {
            failure: fields.failure,
            detail: redactSignatures(`${name} (${describeTarget(target)}): ${fields.detail}`),
          }),
    });

    let timeoutMs: number;
    try {
      timeoutMs = durationMs(timeout, `${name} timeout`);
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      return result({ healthy: false, failure: 'error', detail: error.message });
    }

    const resolution = await resolve(target, timeoutMs);
    if (!resolution.ok)
      return result({ healthy: false, failure: resolution.failure, detail: resolution.detail });
    const remainingMs = Math.round(timeoutMs - (performance.now() - started));
    if (remainingMs <= 0) {
      return result({ healthy: false, failure: 'timeout', detail: `no answer within ${timeoutMs} ms` });
    }
    const answer = await postProbe(resolution.url, remainingMs, agents, timeoutMs);
    if (!answer.answered) return result({ healthy: false, failure: answer.failure, detail: answer.detail });

    if ((answer.status === 401 || answer.status === 404) && resolution.cached) {
      // The signature was regenerated or the trigger recreated: resolve afresh next time.
      forget(resolution.cached.key, resolution.cached.entry);
    }
    const verdict = judgeResponse(answer.status, answer.body, target);
    return verdict.healthy
      ? result({ healthy: true, status: answer.status })
      : result({ healthy: false, status: answer.status, failure: verdict.failure, detail: verdict.detail });
  }

  return {
    async probe(healthCheck, now) {
      const at = (now ?? new Date(clock.now())).toISOString();
      const rule = healthCheck.dependencies;
      const [main, dependencies] = await Promise.all([
        probeOne(healthCheck, healthCheck.timeout, 'health check', at),
        Promise.all(
          (rule?.probes ?? []).map(async (dep): Promise<DependencyOutcome> => ({
            name: dep.name,
            result: await probeOne(dep, dep.timeout ?? healthCheck.timeout, `dependency ${dep.name}`, at),
          })),
        ),
      ]);
      if (!rule) return main;

      const healthyCount = dependencies.filter((d) => d.result.healthy).length;
      const needed = rule.require === 'all' ? dependencies.length : rule.require.atLeast;
      if (!main.healthy || healthyCount >= needed) return { ...main, dependencies };

      const failed = dependencies.filter((d) => !d.result.healthy);
      const wanted = rule.require === 'all' ? 'all' : `at least ${needed}`;
      return {
        ...main,
        healthy: false,
        failure: failed[0]?.result.failure ?? 'error',
        detail: `dependencies: ${healthyCount} of ${dependencies.length} healthy, ${wanted} required; failed: ${
          failed.map((d) => `${d.name} (${d.result.failure ?? 'error'})`).join(', ') || 'none'
        }`,
        dependencies,
      };
    },
  };
}

function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch (err) {
    if (err instanceof TypeError) return undefined; // new URL's "Invalid URL"
    throw err;
  }
}
