/** `dr ... --sim URL`: the ARM connection to a running `npm start`'s simulator, read from its /sim/info. */
import { installSimulatorConnector, type SimulatorConnector } from '../../src/cli/arm';
import { UsageError } from '../../src/cli/io';
import { simulatorConnection, type SimulatorInfo } from '../sim/arm';

export const connectToSimulator: SimulatorConnector = async (url) => {
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
};

export function installLocalCli(): void {
  installSimulatorConnector(connectToSimulator);
}
