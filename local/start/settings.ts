/**
 * What `npm start` reads from its environment, checked once. Only `main.ts` passes process.env in.
 */
import { join } from 'node:path';
import { DEFAULT_LOCAL_CADENCE, type LocalCadence } from './local-plan';

/** Accepted for authLevel `function` in the embedded demo: fixed, so the README's curl lines work as written. */
export const LOCAL_FUNCTION_KEY = 'local-demo-key';

export class StartSettingsError extends Error {
  override readonly name = 'StartSettingsError';
}

interface Common {
  httpPort: number;
  storeDir: string;
  keepState: boolean;
  functionsDir: string;
}

export type StartSettings =
  | (Common & {
      mode: 'embedded';
      planFile: string;
      simPort: number;
      cadence: LocalCadence;
      functionKey: string;
      /** DR_SIM_KEY: the simulator control API's key; main generates one when unset. */
      simKey: string | undefined;
      /** AZURE_* variables that are ignored because no plan is configured. */
      ignoredAzure: string[];
    })
  | (Common & {
      mode: 'azure';
      /** Every variable, passed to the host as app settings (as in Azure). */
      appSettings: Record<string, string | undefined>;
      /** Function keys from FUNCTIONS_KEYS; when empty, main generates one. */
      functionKeys: string[];
      planSource: string;
    });

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new StartSettingsError(
      `${name}=${JSON.stringify(value)} is not a port number (0-65535; 0 = any free port)`,
    );
  return n;
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `rootDir` is the project folder (examples/, functions/). */
export function startSettings(
  env: Readonly<Record<string, string | undefined>>,
  rootDir: string,
): StartSettings {
  const common: Common = {
    httpPort: port(
      env.PORT ?? env.FUNCTIONS_HTTP_PORT,
      7071,
      env.PORT !== undefined ? 'PORT' : 'FUNCTIONS_HTTP_PORT',
    ),
    storeDir: env.DURABLE_STORE_DIR?.trim() || join(rootDir, '.durable-store'),
    keepState: env.DR_KEEP_STATE?.trim().toLowerCase() === 'true',
    functionsDir: join(rootDir, 'functions'),
  };
  const planPath = env.DR_PLAN_PATH?.trim();
  const planText = env.DR_PLAN?.trim();
  if (planPath || planText) {
    return {
      ...common,
      mode: 'azure',
      appSettings: { ...env },
      functionKeys: list(env.FUNCTIONS_KEYS),
      planSource: planPath ? `DR_PLAN_PATH=${planPath}` : 'DR_PLAN (inline JSON)',
    };
  }
  return {
    ...common,
    mode: 'embedded',
    planFile: join(rootDir, 'examples', 'plan.json'),
    simPort: port(env.SIM_PORT, 7072, 'SIM_PORT'),
    cadence: {
      probeInterval: env.DR_LOCAL_PROBE_INTERVAL?.trim() || DEFAULT_LOCAL_CADENCE.probeInterval,
      splitEvery: env.DR_LOCAL_SPLIT_EVERY?.trim() || DEFAULT_LOCAL_CADENCE.splitEvery,
      ...(env.DR_LOCAL_SPLIT_ANCHOR?.trim() ? { splitAnchor: env.DR_LOCAL_SPLIT_ANCHOR.trim() } : {}),
    },
    functionKey: list(env.FUNCTIONS_KEYS)[0] ?? LOCAL_FUNCTION_KEY,
    simKey: env.DR_SIM_KEY?.trim() || undefined,
    ignoredAzure: Object.keys(env)
      .filter((k) => k.startsWith('AZURE_'))
      .sort(),
  };
}
