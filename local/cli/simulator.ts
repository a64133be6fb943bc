/**
 * `dr ... --sim URL`: the ARM connection to a running `npm start`'s simulator, and the plan its demo runs,
 * both read from its /sim/info.
 */
import { installSimulatorConnector, type DemoPlan, type SimulatorConnector } from '../../src/cli/arm';
import { EstateUnreadableError, UsageError } from '../../src/cli/io';
import { simulatorConnection, type SimulatorInfo } from '../sim/arm';

/** What a failed fetch says underneath its bare "fetch failed": ECONNREFUSED, ENOTFOUND, a timeout. */
const causeOf = (err: unknown): string => {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
};

/**
 * The simulator not answering, refusing the key, or not being a simulator is an estate nobody could read
 * (exit 3, one line), not a mistake in the command line: the usage text would not help.
 */
export const connectToSimulator: SimulatorConnector = async (url, env) => {
  let infoUrl: URL;
  try {
    infoUrl = new URL('/sim/info', url);
  } catch {
    throw new UsageError(`--sim "${url}" is not a URL (npm start prints it as sim=http://127.0.0.1:PORT)`);
  }
  // npm start prints the control API's key as sim-key=.
  const key = env.DR_SIM_KEY?.trim();
  let res: Response;
  try {
    res = await fetch(infoUrl, key ? { headers: { 'x-functions-key': key } } : {});
  } catch (err) {
    throw new EstateUnreadableError(
      `cannot reach the simulator at ${url}: ${causeOf(err)}; is \`npm start\` running, and is this its sim= URL?`,
      err,
    );
  }
  if (res.status === 401 || res.status === 403)
    throw new EstateUnreadableError(
      key
        ? `the simulator at ${url} refused the key in DR_SIM_KEY (HTTP ${res.status}): set it to the sim-key npm start printed (it changes at every start unless DR_SIM_KEY was set for npm start too)`
        : `the simulator at ${url} needs its key (HTTP ${res.status}): set DR_SIM_KEY to the sim-key npm start printed`,
    );
  const notSimulator = (answer: string, err?: unknown) =>
    new EstateUnreadableError(
      `the simulator's /sim/info at ${url} answered ${answer}: is this the sim= URL npm start printed?`,
      err,
    );
  if (!res.ok) throw notSimulator(`HTTP ${res.status}`);
  let info: SimulatorInfo & { demoPlan?: DemoPlan };
  try {
    info = (await res.json()) as SimulatorInfo & { demoPlan?: DemoPlan };
  } catch (err) {
    throw notSimulator('something that is not JSON', err);
  }
  return {
    connection: simulatorConnection(info),
    ca: info.caCertPem,
    ...(info.demoPlan ? { demoPlan: info.demoPlan } : {}),
  };
};

export function installLocalCli(): void {
  installSimulatorConnector(connectToSimulator);
}
