/**
 * The control plane assembled for a benchmark: the real adapters and the real `functions/` on the in-process
 * host (virtual time), against the ARM simulator in a child process and, when the plan notifies, the local
 * AMQP broker. Like test/support/estate.ts, with the plan, the determinism check and SDK retries chosen here.
 */
import { join } from 'node:path';
import { ArmThrottle } from '../src/adapters/arm/throttle';
import { createArmLogicAppsControl } from '../src/adapters/logicapps/arm';
import type { LogicAppsControl } from '../src/adapters/logicapps/port';
import { createHealthProbe } from '../src/adapters/probe';
import { createServiceBusNotifier, type Notifier } from '../src/adapters/servicebus';
import { installControlPlane } from '../src/composition';
import { simulatorConnection } from '../local/sim/arm';
import { monitorInstanceId, type MonitorStatus } from '../src/durable/contracts';
import { startFunctionsHost, type FunctionsHost, type HostLogEntry } from '../local/host';
import type { Plan } from '../src/plan/schema';
import { sampleEstateSeed } from '../local/sim/sample-estate';
import { startServiceBusBroker, type ServiceBusBroker } from '../local/sim/servicebus';
import { RemoteArmSimulator } from './sim-process';

export const ROOT = join(__dirname, '..');
export const EXAMPLE_PLAN = join(ROOT, 'examples/plan.json');
/** A Monday 08:00 UTC: watchdog ticks (every 30 s) fall on :00 and :30. */
export const BENCH_START = new Date('2026-03-02T08:00:00Z');
const WATCHDOG_SCHEDULE = '*/30 * * * * *';
/** The timer function in functions/watchdog.ts. */
const WATCHDOG_FUNCTION = 'drWatchdog';
const PROBLEM_LEVELS = new Set(['warning', 'warn', 'error', 'critical']);

export interface BenchEstateOptions {
  plan: Plan;
  /** Workflow definitions by entry name (sampleEstateSeed invents one from the trigger kind otherwise). */
  definitions?: ReadonlyMap<string, Record<string, unknown>>;
  /**
   * `virtual` (default): time moves only with `advance`, so hours of probing take seconds. `real`: durable
   * timers (retry back-off included) wait for real, so an operation's wall time is its true duration.
   */
  clock?: 'virtual' | 'real';
  /** Replay every episode twice (the tests' determinism check); benchmarks leave it off. */
  checkDeterminism?: boolean;
  /** SDK retries per ARM call (the estate in the tests uses 0; the composition root's default is 2). */
  sdkRetries?: number;
  /** Keep the task hub in this directory (e.g. one seeded by bench/task-hub.ts) instead of in memory. */
  storeDir?: string;
  /** Keys the host accepts for the HTTP API (the status-latency benchmark calls it). */
  functionKeys?: string[];
}

export interface BenchEstate {
  plan: Plan;
  sim: RemoteArmSimulator;
  host: FunctionsHost;
  control: LogicAppsControl;
  /** The client-side pacer every ARM call of this control plane goes through. */
  throttle: ArmThrottle;
  /** Host log entries at level warning or above (the run reports them). */
  problems: HostLogEntry[];
  /** Virtual clock only: moves the simulator's and the host's clocks together in `stepMs` steps. */
  advance(ms: number, stepMs?: number): Promise<void>;
  /** Runs the watchdog now (starting the monitor and probing once) and waits until the host is idle. */
  kickWatchdog(): Promise<void>;
  monitor(): MonitorStatus | undefined;
  stop(): Promise<void>;
}

export async function startBenchEstate(options: BenchEstateOptions): Promise<BenchEstate> {
  const { plan } = options;
  const clock = options.clock ?? 'virtual';
  const start = clock === 'virtual' ? BENCH_START : new Date(Math.floor(Date.now() / 1000) * 1000);
  const sim = await RemoteArmSimulator.start({
    now: start.toISOString(),
    seed: sampleEstateSeed(plan, options.definitions ?? new Map()),
  });
  const sb = plan.notifications?.serviceBus;
  let broker: ServiceBusBroker | undefined;
  let notifier: Notifier | undefined;
  try {
    if (sb) {
      broker = await startServiceBusBroker(
        sb.topic ? { topics: [{ name: sb.topic, subscriptions: ['audit'] }] } : { queues: [sb.queue!] },
      );
      notifier = createServiceBusNotifier(
        {
          connectionString: broker.connectionString,
          ...(sb.topic ? { topic: sb.topic } : { queue: sb.queue! }),
        },
        { timeoutMs: 2_000 },
      );
    }
    const throttle = new ArmThrottle();
    const control = createArmLogicAppsControl({
      ...simulatorConnection(sim, throttle),
      maxRetries: options.sdkRetries ?? 0,
    });
    installControlPlane({
      plan,
      control,
      probe: createHealthProbe({ control, plan, settings: {}, ca: sim.caCertPem }),
      ...(notifier ? { notifier } : {}),
      describe: 'benchmark estate',
    });
    const problems: HostLogEntry[] = [];
    const host = await startFunctionsHost({
      files: [join(ROOT, 'functions')],
      settings: { DR_WATCHDOG_SCHEDULE: WATCHDOG_SCHEDULE },
      clock,
      startTime: start,
      checkDeterminism: options.checkDeterminism ?? false,
      ...(options.storeDir ? { storeDir: options.storeDir } : {}),
      ...(options.functionKeys ? { functionKeys: options.functionKeys } : {}),
      log: (entry) => {
        if (PROBLEM_LEVELS.has(entry.level.toLowerCase())) problems.push(entry);
      },
    });
    return {
      plan,
      sim,
      host,
      control,
      throttle,
      problems,
      async advance(ms, stepMs = 30_000) {
        const end = host.clock.now() + ms;
        while (host.clock.now() < end) {
          const next = Math.min(end, host.clock.now() + stepMs);
          await sim.advanceTo(new Date(next));
          await host.clock.advanceTo(next);
        }
      },
      async kickWatchdog() {
        await host.invokeTimer(WATCHDOG_FUNCTION);
        await host.runUntilIdle();
      },
      monitor() {
        return host.durable.getStatus(monitorInstanceId(plan.id))?.customStatus as MonitorStatus | undefined;
      },
      async stop() {
        await host.stop();
        await closeAll(notifier, broker, sim);
      },
    };
  } catch (error) {
    await closeAll(notifier, broker, sim);
    throw error;
  }
}

async function closeAll(
  notifier: Notifier | undefined,
  broker: ServiceBusBroker | undefined,
  sim: RemoteArmSimulator,
): Promise<void> {
  await notifier?.close(); // Its AMQP connection would otherwise keep the process alive.
  await broker?.stop();
  await sim.stop();
  installControlPlane(undefined);
}
