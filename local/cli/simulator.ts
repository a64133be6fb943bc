/**
 * `dr ... --sim URL`: the ARM connection to a running `npm start`'s simulator, and the plan its demo runs,
 * both read from its /sim/info.
 */
import { installSimulatorConnector, type DemoPlan, type SimulatorConnector } from '../../src/cli/arm';
import { UsageError } from '../../src/cli/io';
import { simulatorConnection, type SimulatorInfo } from '../sim/arm';

export const connectToSimulator: SimulatorConnector = async (url, env) => {
  let info: SimulatorInfo & { demoPlan?: DemoPlan };
  try {
    // npm start prints the control API's key as sim-key=.
    const key = env.DR_SIM_KEY?.trim();
    const res = await fetch(new URL('/sim/info', url), key ? { headers: { 'x-functions-key': key } } : {});
    if (res.status === 401)
      throw new Error(
        `HTTP 401: set DR_SIM_KEY to the sim-key npm start printed${key ? ' (the key changes at every start unless DR_SIM_KEY was set for npm start too)' : ''}`,
      );
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    info = (await res.json()) as SimulatorInfo & { demoPlan?: DemoPlan };
  } catch (err) {
    throw new UsageError(
      `cannot reach the simulator at ${url} (${(err as Error).message}); is \`npm start\` running?`,
    );
  }
  return {
    connection: simulatorConnection(info),
    ...(info.demoPlan ? { demoPlan: info.demoPlan } : {}),
  };
};

export function installLocalCli(): void {
  installSimulatorConnector(connectToSimulator);
}
