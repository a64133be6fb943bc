/**
 * Child-process entry: runs the ARM simulator outside the benchmarked process, so the control plane's heap
 * and event loop are measured alone (ARM is remote in Azure too). Driven over IPC by `RemoteArmSimulator`.
 */
import { startArmSimulator, type ArmSimulator } from '../local/sim/arm';
import type { SimCommand, SimReply, SimStartOptions } from './sim-process';

let sim: ArmSimulator | undefined;

async function run(command: SimCommand): Promise<unknown> {
  if (command.cmd === 'start') {
    const options: SimStartOptions = command.options;
    sim = await startArmSimulator({
      now: new Date(options.now),
      seed: options.seed,
      latencyMs: options.latencyMs ?? 0,
    });
    return { armEndpoint: sim.armEndpoint, caCertPem: sim.caCertPem };
  }
  if (!sim) throw new Error(`simulator child: '${command.cmd}' before 'start'`);
  switch (command.cmd) {
    case 'advanceTo':
      sim.advanceTo(new Date(command.at));
      return undefined;
    case 'outage':
      sim.outage(command.location, command.fault);
      await sim.settle();
      return undefined;
    case 'restore':
      sim.restore(command.location);
      await sim.settle();
      return undefined;
    case 'setLatency':
      sim.setLatency(command.ms);
      return undefined;
    case 'configureThrottle':
      sim.configureThrottle(command.limits);
      return undefined;
    case 'requestLog':
      return sim.requestLog();
    case 'clearRequestLog':
      sim.clearRequestLog();
      return undefined;
    case 'workflows':
      return sim.workflows().map((w) => ({ name: w.name, region: w.region, state: w.state }));
    case 'stop':
      await sim.stop();
      sim = undefined;
      return undefined;
  }
}

process.on('message', (message: { id: number; command: SimCommand }) => {
  run(message.command).then(
    (value) => process.send!({ id: message.id, ok: true, value } satisfies SimReply),
    (error: unknown) =>
      process.send!({
        id: message.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies SimReply),
  );
});

// The parent went away (crash or Ctrl-C): do not linger holding ports.
process.on('disconnect', () => {
  void (sim?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
});
