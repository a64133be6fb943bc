/**
 * The composition root: the one place that reads app settings (process.env in Azure) and builds the control
 * plane's dependencies. `functions/` files ask it for their handlers' dependencies; `npm start` and the tests
 * may install ready-made ones (real adapters pointed at local protocol servers) before the host loads them.
 */
import { readFileSync } from 'node:fs';
import { createArmLogicAppsControl } from './adapters/logicapps/arm';
import type { LogicAppsControl } from './adapters/logicapps/port';
import { createHealthProbe, type HealthProbe } from './adapters/probe';
import { createServiceBusNotifier, type Notifier } from './adapters/servicebus';
import { armConnectionFromSettings } from './config/arm';
import { checkLiveRulesAtStartup } from './app/live-check';
import { durationMs } from './core/duration';
import { loadPlan, planSourceFromSettings } from './plan/load';
import type { Plan } from './plan/schema';
import { DefaultAzureCredential } from '@azure/identity';

export interface ControlPlane {
  plan: Plan;
  control: LogicAppsControl;
  probe: HealthProbe;
  notifier?: Notifier;
  /** DR_NOTIFY_TTL: how long a notification is retried while Service Bus is unreachable (default a day). */
  notificationTtlMs?: number;
  /** DR_FENCE_BUDGET: how long fences against a region answering with errors are retried per group (60 s). */
  fenceBudgetMs?: number;
  /** Where the ARM calls go, said loudly at start-up. */
  describe: string;
}

let installed: ControlPlane | undefined;

/** For `npm start` and tests: use these dependencies instead of building them from settings. */
export function installControlPlane(plane: ControlPlane | undefined): void {
  installed = plane;
}

export function controlPlane(): ControlPlane {
  installed ??= controlPlaneFromSettings(process.env);
  return installed;
}

/**
 * Settings: DR_PLAN_PATH or DR_PLAN (the plan); DR_ARM_ENDPOINT / DR_ARM_SCOPE / DR_ARM_CA_FILE /
 * DR_ARM_TIMEOUT (see config/arm.ts); AZURE_CLIENT_ID (the user-assigned identity); DR_SERVICEBUS_CONNECTION
 * (name of a setting holding a connection string, overriding the plan's Service Bus target); DR_NOTIFY_TTL
 * (ISO 8601 duration a notification is retried for, default P1D); DR_FENCE_BUDGET (ISO 8601 duration fences
 * against a region answering with errors are retried per group, default PT60S, at most PT10M). ARM is always
 * reached with DefaultAzureCredential: a local simulator is installed by `local/` through installControlPlane,
 * never chosen by a setting.
 */
export function controlPlaneFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): ControlPlane {
  const { plan } = loadPlan(planSourceFromSettings(settings));
  const caFile = settings.DR_ARM_CA_FILE?.trim();
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  const connection = armConnectionFromSettings(settings);
  const control = createArmLogicAppsControl(connection);
  // Entries that declare no trigger are held to the DR rules on their live definitions: logged now (never
  // awaited, so an unreachable ARM cannot hold up start-up) and enforced before every operation.
  void checkLiveRulesAtStartup(plan, control, console);
  const probe = createHealthProbe({ control, plan, settings, ...(ca ? { ca } : {}) });
  return {
    plan,
    control,
    probe,
    ...(notifierFor(plan, settings) ?? {}),
    ...notificationTtlFrom(settings),
    ...fenceBudgetFrom(settings),
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

/** The activities over the installed (or configured) control plane. */
export function activityDeps() {
  const { plan, control, probe, notifier, notificationTtlMs, fenceBudgetMs } = controlPlane();
  return {
    plan,
    control,
    probe,
    ...(notifier ? { notifier } : {}),
    ...(notificationTtlMs !== undefined ? { notificationTtlMs } : {}),
    ...(fenceBudgetMs !== undefined ? { fenceBudgetMs } : {}),
  };
}
