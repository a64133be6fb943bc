/** `dr ... --sim URL`: the ARM connection to a running `npm start`'s simulator, read from its /sim/info. */
import { installSimulatorConnector, type SimulatorConnector } from '../../src/cli/arm';
import { UsageError } from '../../src/cli/io';
import { simulatorConnection, type SimulatorInfo } from '../sim/arm';

export const connectToSimulator: SimulatorConnector = async (url, env) => {
  let info: SimulatorInfo;
  try {
    // npm start prints the control API's key as sim-key=.
    const key = env.DR_SIM_KEY?.trim();
    const res = await fetch(new URL('/sim/info', url), key ? { headers: { 'x-functions-key': key } } : {});
    if (res.status === 401) throw new Error('HTTP 401: set DR_SIM_KEY to the sim-key npm start printed');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    info = (await res.json()) as SimulatorInfo;
  } catch (err) {
    throw new UsageError(
      `cannot reach the simulator at ${url} (${(err as Error).message}); is \`npm start\` running?`,
    );
  }
  return simulatorConnection(info);
};

export function installLocalCli(): void {
  installSimulatorConnector(connectToSimulator);
}
