/**
 * The composition root: the one module that reads app settings (process.env in Azure), builds the control
 * plane's dependencies and injects them into the activities and the HTTP API. `functions/` files register
 * through it (registerActivity, httpRegistration, controlPlane); nothing else under src/ imports it (lint rule).
 * `npm start` and the tests install ready-made dependencies here (real adapters pointed at local protocol
 * servers, the local host's trust and clock) before the host loads the function files.
 */
import { DEFAULT_NOTIFICATION_TTL_MS } from './activities/notify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createArmLogicAppsControl } from './adapters/logicapps/arm';
import type { LogicAppsControl } from './adapters/logicapps/port';
import { createArmRouterControl } from './adapters/routers/arm';
import type { RouterControl } from './adapters/routers/port';
import { createHealthProbe, type HealthProbe } from './adapters/probe';
import { createServiceBusNotifier, type Notifier } from './adapters/servicebus';
import { createActivities } from './activities';
import { createActivityRegistration } from './activities/register';
import { armConnectionFromSettings } from './config/arm';
import { checkLiveRulesAtStartup } from './estate/live-check';
import { durationMs } from './core/duration';
import {
  createHttpRegistration,
  httpSettingsFrom,
  keyIsOperatorWarning,
  type LocalTrust,
} from './http/runtime';
import { loadPlan, planSourceFromSettings } from './plan/load';
import type { Plan } from './plan/schema';
import { DefaultAzureCredential } from '@azure/identity';
import { createEntraTokenVerifier, entraSignInFromSettings, type TokenVerifier } from './http/entra-token';
import { armRegionsOf, useArmRegions } from './adapters/arm/telemetry';
import { azureMonitorTelemetry, type Telemetry } from './telemetry/otel';

export interface ControlPlane {
  plan: Plan;
  control: LogicAppsControl;
  /** The routers in front of Request triggers (the same ARM connection). */
  routers?: RouterControl;
  probe: HealthProbe;
  notifier?: Notifier;
  /** DR_NOTIFY_TTL: how long a notification is retried while Service Bus is unreachable (default a day). */
  notificationTtlMs?: number;
  /** DR_RETENTION: how long finished notifications and operation sub-orchestrations stay in the task hub. */
  retentionMs?: number;
  /** DR_FENCE_BUDGET: how long fences against a region answering with errors are retried per group (60 s). */
  fenceBudgetMs?: number;
  /** DR_DRIFT_CHECK_CYCLES: probe cycles between the monitor's drift checks (default 5; 0 turns them off). */
  driftCheckCycles?: number;
  /** Where the ARM calls go, said loudly at start-up. */
  describe: string;
  /** The slowest recent ARM answer (ms) the adapter observed, for the predicted RTO. */
  armLatencyMs?: () => number | undefined;
}

let installed: ControlPlane | undefined;

/**
 * The Function App's root: the nearest directory above `from` holding host.json (the package's root in Azure,
 * the clone locally). DR_PLAN_PATH is relative to it, wherever the worker's current directory is.
 */
export function appRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'host.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** For `npm start` and tests: use these dependencies instead of building them from settings. */
export function installControlPlane(plane: ControlPlane | undefined): void {
  installed = plane;
  useArmRegions(plane ? armRegionsOf(plane.plan) : undefined);
}

export function controlPlane(): ControlPlane {
  if (!installed) installControlPlane(controlPlaneFromSettings(process.env));
  return installed!;
}

/**
 * OpenTelemetry (src/telemetry/otel.ts), started when the function files load this module: to Application
 * Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set (the Bicep sets it), else none. A setting it cannot
 * use is said loudly and leaves the app without worker telemetry: telemetry never stops the control plane.
 */
let telemetry: Telemetry | undefined = telemetryFromSettings(process.env);

function telemetryFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): Telemetry | undefined {
  try {
    return azureMonitorTelemetry(settings);
  } catch (err) {
    console.error(`OpenTelemetry not started: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** For `npm start` and tests: export telemetry with this instead (undefined: none). The previous one stops. */
export async function installTelemetry(next: Telemetry | undefined): Promise<void> {
  const previous = telemetry;
  telemetry = next;
  if (previous && previous !== next) await previous.shutdown();
}

/**
 * Settings: DR_PLAN_PATH or DR_PLAN (the plan); DR_ARM_ENDPOINT / DR_ARM_SCOPE / DR_ARM_CA_FILE /
 * DR_ARM_TIMEOUT (see config/arm.ts); AZURE_CLIENT_ID (the user-assigned identity); DR_SERVICEBUS_CONNECTION
 * (name of a setting holding a connection string, overriding the plan's Service Bus target); DR_NOTIFY_TTL
 * (ISO 8601 duration a notification is retried for, default P1D); DR_RETENTION (ISO 8601 duration finished
 * notifications and operation sub-orchestrations are kept in the task hub, default P90D); DR_FENCE_BUDGET (ISO
 * 8601 duration fences against a region answering with errors are retried per group, default PT60S, at most
 * PT10M); DR_DRIFT_CHECK_CYCLES (probe cycles between drift checks, default 5, 0 off). ARM is always
 * reached with DefaultAzureCredential: a local simulator is installed by `local/` through installControlPlane,
 * never chosen by a setting.
 */
export function controlPlaneFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): ControlPlane {
  const { plan } = loadPlan(planSourceFromSettings(settings, appRoot(__dirname)));
  const caFile = settings.DR_ARM_CA_FILE?.trim();
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  const connection = armConnectionFromSettings(settings);
  const control = createArmLogicAppsControl(connection);
  const routers = createArmRouterControl(connection);
  // Entries that declare no trigger are held to the DR rules on their live definitions: logged now (never
  // awaited, so an unreachable ARM cannot hold up start-up) and enforced before every operation.
  void checkLiveRulesAtStartup(plan, control, console);
  const probe = createHealthProbe({ control, plan, settings, ...(ca ? { ca } : {}) });
  return {
    plan,
    control,
    routers,
    probe,
    ...(notifierFor(plan, settings) ?? {}),
    ...notificationTtlFrom(settings),
    ...retentionFrom(settings),
    ...fenceBudgetFrom(settings),
    ...driftCheckFrom(settings),
    armLatencyMs: () => connection.throttle?.observedLatencyMs(),
    describe: `Azure Resource Manager at ${settings.DR_ARM_ENDPOINT ?? 'https://management.azure.com'}`,
  };
}

function notificationTtlFrom(settings: Readonly<Record<string, string | undefined>>): {
  notificationTtlMs?: number;
} {
  const raw = settings.DR_NOTIFY_TTL?.trim();
  if (!raw) return {};
  const ms = durationMs(raw, 'app setting DR_NOTIFY_TTL');
  if (ms < 60_000)
    throw new Error(`app setting DR_NOTIFY_TTL is ${raw}: use at least PT1M (an ISO 8601 duration)`);
  return { notificationTtlMs: ms };
}

function retentionFrom(settings: Readonly<Record<string, string | undefined>>): { retentionMs?: number } {
  const raw = settings.DR_RETENTION?.trim();
  if (!raw) return {};
  const ms = durationMs(raw, 'app setting DR_RETENTION');
  // Only finished instances are purged, but a day is the least that still lets an operator read last night's.
  if (ms < 86_400_000)
    throw new Error(
      `app setting DR_RETENTION is ${raw}: keep at least P1D (an ISO 8601 duration, default P90D)`,
    );
  return { retentionMs: ms };
}

/** The longest fence budget accepted: past it a break-glass would wait longer than an operator can. */
const MAX_FENCE_BUDGET_MS = 10 * 60_000;

function fenceBudgetFrom(settings: Readonly<Record<string, string | undefined>>): { fenceBudgetMs?: number } {
  const raw = settings.DR_FENCE_BUDGET?.trim();
  if (!raw) return {};
  const ms = durationMs(raw, 'app setting DR_FENCE_BUDGET');
  if (ms > MAX_FENCE_BUDGET_MS)
    throw new Error(`app setting DR_FENCE_BUDGET is ${raw}: use at most PT10M (an ISO 8601 duration)`);
  return { fenceBudgetMs: ms };
}

/** The most cycles between drift checks: beyond it a drift would go unsaid for too long to call it a check. */
const MAX_DRIFT_CHECK_CYCLES = 1_000;

/** DR_DRIFT_CHECK_CYCLES, checked: a whole number of probe cycles from 0 (off) to 1,000; absent: the default. */
export function driftCheckFrom(settings: Readonly<Record<string, string | undefined>>): {
  driftCheckCycles?: number;
} {
  const raw = settings.DR_DRIFT_CHECK_CYCLES?.trim();
  if (!raw) return {};
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_DRIFT_CHECK_CYCLES)
    throw new Error(
      `app setting DR_DRIFT_CHECK_CYCLES is ${raw}: use a whole number of probe cycles from 0 (off) to ${MAX_DRIFT_CHECK_CYCLES} (default 5)`,
    );
  return { driftCheckCycles: n };
}

function notifierFor(
  plan: Plan,
  settings: Readonly<Record<string, string | undefined>>,
): { notifier: Notifier } | undefined {
  const sb = plan.notifications?.serviceBus;
  if (!sb) return undefined;
  const entity = sb.queue ? { queue: sb.queue } : { topic: sb.topic! };
  const overrideSetting = settings.DR_SERVICEBUS_CONNECTION?.trim();
  const connectionSetting = overrideSetting || sb.connectionSetting;
  if (connectionSetting) {
    const connectionString = settings[connectionSetting];
    if (!connectionString)
      throw new Error(`app setting ${connectionSetting} (Service Bus connection string) is not set`);
    return { notifier: createServiceBusNotifier({ connectionString, ...entity }) };
  }
  const clientId = settings.AZURE_CLIENT_ID?.trim();
  return {
    notifier: createServiceBusNotifier(
      { namespace: sb.namespace!, ...entity },
      { credential: new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}) },
    ),
  };
}

/** The activities' dependencies: the installed (or configured) control plane. */
function activityDeps() {
  const { plan, control, routers, probe, notifier, notificationTtlMs, fenceBudgetMs } = controlPlane();
  return {
    plan,
    control,
    ...(routers ? { routers } : {}),
    probe,
    ...(notifier ? { notifier } : {}),
    ...(notificationTtlMs !== undefined ? { notificationTtlMs } : {}),
    ...(fenceBudgetMs !== undefined ? { fenceBudgetMs } : {}),
  };
}

let signIn: { verifier: TokenVerifier | undefined } | undefined;

/** For tests and local hosts: verify bearer tokens with this (undefined: no Entra sign-in). */
export function installSignIn(verifier: TokenVerifier | undefined): void {
  signIn = { verifier };
}

/**
 * The API's Entra token verifier from DR_AUTH_CLIENT_ID / DR_AUTH_TENANT_ID / DR_AUTH_AUDIENCE /
 * DR_AUTH_AUTHORITY (src/http/entra-token.ts), or undefined when sign-in is not configured. Built once: its
 * key cache lives as long as the process.
 */
export function signInVerifier(): TokenVerifier | undefined {
  if (!signIn) {
    const settings = entraSignInFromSettings(process.env);
    signIn = { verifier: settings ? createEntraTokenVerifier(settings) : undefined };
  }
  return signIn.verifier;
}

/** `registerActivity('probe')` and kin for functions/activity-*.ts: activities built per invocation. */
export const { registerActivity, registerClientActivity, registerLoggingActivity } =
  createActivityRegistration(() => createActivities(activityDeps()));

const localTrust: LocalTrust = {};

/**
 * For the in-process host (tests, the embedded `npm start`), which has no Entra tenant: believe a hand-made
 * x-ms-client-principal. Deliberately code, not an app setting, so a deployed app cannot be configured into
 * trusting a header any key holder can write (in Azure it is never believed).
 */
export function installLocalPrincipalTrust(on: boolean): void {
  localTrust.principal = on;
}

/**
 * For the in-process host (tests, the embedded `npm start` demo), which has no Entra sign-in to give anyone
 * an app role: let the function key operate. Code, not a setting that could be copied into an Azure app;
 * a deployment opts in with DR_KEY_IS_OPERATOR=true, loudly.
 */
export function installLocalKeyIsOperator(on: boolean): void {
  localTrust.keyIsOperator = on;
}

let httpClock: (() => Date) | undefined;

/**
 * For the in-process host on virtual time: the HTTP handlers' "now" (pause limits, whether a pause is still
 * in force) must be the host's clock, as the monitor's is. Pass undefined to go back to the wall clock.
 */
export function installHttpClock(now: (() => Date) | undefined): void {
  httpClock = now;
}

/** The handlers' clock: the wall clock, or the local host's virtual one (the purge timer reads it too). */
export const handlerNow = (): Date => (httpClock ? httpClock() : new Date());

/** `app.http(...httpRegistration('status'))` for functions/http-*.ts. */
export const httpRegistration = createHttpRegistration({
  api: {
    plan: () => controlPlane().plan,
    control: () => controlPlane().control,
    routers: () => controlPlane().routers,
    probe: () => controlPlane().probe,
    // Read per request, so a changed app setting applies without a restart.
    settings: () => httpSettingsFrom(process.env, localTrust),
    signIn: () => signInVerifier(),
    now: () => handlerNow(),
    notificationTtlMs: () => controlPlane().notificationTtlMs ?? DEFAULT_NOTIFICATION_TTL_MS,
    armLatencyMs: () => controlPlane().armLatencyMs?.(),
  },
  startupWarning: () => keyIsOperatorWarning(process.env, localTrust),
});
