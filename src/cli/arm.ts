/** How CLI commands reach ARM: the simulator of a running `npm start` (--sim URL), or Azure. */
import { createArmLogicAppsControl, type ArmConnection } from '../adapters/logicapps/arm';
import type { LogicAppsControl } from '../adapters/logicapps/port';
import { armConnectionFromSettings, simulatorConnection, type SimulatorInfo } from '../config/arm';
import { UsageError } from './io';

export const ARM_OPTIONS_HELP = `  --sim URL    use the ARM simulator of a running \`npm start\` (e.g. http://127.0.0.1:7072), also $DR_SIM_URL
Without --sim, ARM is reached with DefaultAzureCredential (az login, or a managed identity); DR_ARM_ENDPOINT
selects a sovereign cloud.`;

/** Where ARM is for this invocation: the simulator's (with its CA), or Azure's. */
export async function armConnectionFor(
  simUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ArmConnection> {
  const url = simUrl ?? env.DR_SIM_URL;
  if (!url) return armConnectionFromSettings(env);
  let info: SimulatorInfo;
  try {
    const res = await fetch(new URL('/sim/info', url));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    info = (await res.json()) as SimulatorInfo;
  } catch (err) {
    throw new UsageError(
      `cannot reach the simulator at ${url} (${(err as Error).message}); is \`npm start\` running?`,
    );
  }
  return simulatorConnection(info);
}

export async function logicAppsControlFor(
  simUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LogicAppsControl> {
  return createArmLogicAppsControl(await armConnectionFor(simUrl, env));
}
