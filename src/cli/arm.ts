/**
 * How CLI commands reach ARM: Azure (DefaultAzureCredential), or, with --sim, the simulator of a running
 * `npm start`. The simulator's connection comes from `local/`, which the clone's launcher (bin/dr.js) installs:
 * nothing in src/ can fake a credential.
 */
import { createArmLogicAppsControl, type ArmConnection } from '../adapters/logicapps/arm';
import { createArmRouterControl } from '../adapters/routers/arm';
import type { RouterControl } from '../adapters/routers/port';
import type { LogicAppsControl } from '../adapters/logicapps/port';
import { armConnectionFromSettings } from '../config/arm';
import { UsageError } from './io';

export const ARM_OPTIONS_HELP = `  --sim URL    use the ARM simulator of a running \`npm start\` (e.g. http://127.0.0.1:7072), also $DR_SIM_URL
Without --sim, ARM is reached with DefaultAzureCredential (az login, or a managed identity); DR_ARM_ENDPOINT
selects a sovereign cloud.`;

/** Turns a simulator URL into a connection to it (installed from local/). */
export type SimulatorConnector = (
  url: string,
  env: Readonly<Record<string, string | undefined>>,
) => Promise<ArmConnection>;

let simulatorConnector: SimulatorConnector | undefined;

export function installSimulatorConnector(connector: SimulatorConnector | undefined): void {
  simulatorConnector = connector;
}

/** Where ARM is for this invocation: the simulator's (with its CA), or Azure's. */
export async function armConnectionFor(
  simUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ArmConnection> {
  const url = simUrl ?? env.DR_SIM_URL;
  if (!url) return armConnectionFromSettings(env);
  if (!simulatorConnector)
    throw new UsageError('--sim needs the local simulator support of a clone (run dr through bin/dr.js)');
  return simulatorConnector(url, env);
}

export async function logicAppsControlFor(
  simUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LogicAppsControl> {
  return createArmLogicAppsControl(await armConnectionFor(simUrl, env));
}

/** The Logic Apps and router controls over one ARM connection (whatif and ready read both). */
export async function armControlsFor(
  simUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ control: LogicAppsControl; routers: RouterControl }> {
  const connection = await armConnectionFor(simUrl, env);
  return { control: createArmLogicAppsControl(connection), routers: createArmRouterControl(connection) };
}
