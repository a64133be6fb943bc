/**
 * How CLI commands reach ARM: Azure (DefaultAzureCredential), or, with --sim, the simulator of a running
 * `npm start`. The simulator's connection comes from `local/`, which the clone's launcher (bin/dr.js) installs:
 * nothing in src/ can fake a credential.
 */
import type { ArmConnection } from '../adapters/logicapps/arm';
import { armConnectionFromSettings, PUBLIC_ARM_SCOPE } from '../config/arm';
import { EstateUnreadableError, UsageError } from './io';

export const ARM_OPTIONS_HELP = `  --sim URL    use the ARM simulator of a running \`npm start\` (e.g. http://127.0.0.1:7072), also $DR_SIM_URL;
               without PLAN (or with the plan file the demo started from) the plan the demo runs is used,
               with its shortened cadences; its key in $DR_SIM_KEY (npm start prints it as sim-key=); a
               simulator that does not answer or refuses the key stops the command at once (exit 3)
Without --sim, ARM is reached with DefaultAzureCredential (az login, or a managed identity); DR_ARM_ENDPOINT
selects a sovereign cloud. Without a token the command stops at once (exit 3).`;

/** The plan a running demo was started with, as it runs it (cadences shortened), served by its simulator. */
export interface DemoPlan {
  /** The plan document the demo runs (JSON text). */
  text: string;
  /** The absolute path of the file the demo was started from. */
  file: string;
  /** What the demo changed, one line each. */
  notes: string[];
}

/** A running simulator: how to reach its ARM, and the plan its demo runs when it serves one. */
export interface SimulatorSession {
  connection: ArmConnection;
  /** PEM of the CA the simulator's listeners use (its Logic Apps runtime too: the health check's callback). */
  ca?: string;
  demoPlan?: DemoPlan;
}

/** Turns a simulator URL into a session with it (installed from local/). */
export type SimulatorConnector = (
  url: string,
  env: Readonly<Record<string, string | undefined>>,
) => Promise<SimulatorSession>;

let simulatorConnector: SimulatorConnector | undefined;

export function installSimulatorConnector(connector: SimulatorConnector | undefined): void {
  simulatorConnector = connector;
}

/** The simulator session for `--sim URL` (or DR_SIM_URL); undefined when ARM is Azure's. */
export async function simulatorFor(
  simUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SimulatorSession | undefined> {
  const url = simUrl ?? env.DR_SIM_URL;
  if (!url) return undefined;
  if (!simulatorConnector)
    throw new UsageError('--sim needs the local simulator support of a clone (run dr through bin/dr.js)');
  return simulatorConnector(url, env);
}

export const NO_ARM_TOKEN = 'no ARM token: run `az login`, or pass `--sim URL`';

/**
 * Azure's ARM, after one token request: without a token every read would fail the same way, and a report
 * made of those failures would look like an answer about the estate.
 */
export async function azureConnection(
  env: Readonly<Record<string, string | undefined>>,
): Promise<ArmConnection> {
  const connection = armConnectionFromSettings(env);
  let token;
  try {
    token = await connection.credential.getToken(connection.credentialScopes ?? [PUBLIC_ARM_SCOPE]);
  } catch (err) {
    throw new EstateUnreadableError(NO_ARM_TOKEN, err);
  }
  if (!token) throw new EstateUnreadableError(NO_ARM_TOKEN);
  return connection;
}
