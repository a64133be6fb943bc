/**
 * The whole control plane on local protocol servers: the ARM simulator seeded from the example plan, the AMQP
 * broker receiving notifications, real adapters over both, and the in-process host running `functions/`.
 */
import { join } from 'node:path';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { createServiceBusNotifier } from '../../src/adapters/servicebus';
import { installControlPlane } from '../../src/composition';
import { simulatorConnection } from '../../src/config/arm';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { loadPlan } from '../../src/plan/load';
import type { Plan } from '../../src/plan/schema';
import { startArmSimulator, type ArmSimulator } from '../../src/sim/arm';
import { startServiceBusBroker, type ServiceBusBroker } from '../../src/sim/servicebus';
import { loadEntryDefinitions, sampleEstateSeed } from '../../src/sim/sample-estate';
import { startFunctionsHost, type FunctionsHost } from '../../src/host';
import { monitorInstanceId, type MonitorStatus, type OperationRecord } from '../../src/durable/contracts';

export const ROOT = join(__dirname, '../..');
export const EXAMPLE_PLAN = join(ROOT, 'examples/plan.json');
export const START = new Date('2026-03-02T08:00:00Z');

export interface Estate {
  plan: Plan;
  sim: ArmSimulator;
  broker: ServiceBusBroker;
  host: FunctionsHost;
  /** Moves both virtual clocks together in `stepMs` steps, running everything due. */
  advance(ms: number, stepMs?: number): Promise<void>;
  monitor(): MonitorStatus;
  operations(): { instanceId: string; runtimeStatus: string; output: OperationRecord | undefined }[];
  restartHost(): Promise<void>;
  stop(): Promise<void>;
}

export interface EstateOptions {
  planPatch?: (plan: Plan) => Plan;
  storeDir?: string;
  sdkRetries?: number;
}

export async function startEstate(options: EstateOptions = {}): Promise<Estate> {
  const loaded = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
  const plan = options.planPatch ? options.planPatch(loaded.plan) : loaded.plan;
  const sim = await startArmSimulator({
    now: START,
    seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, EXAMPLE_PLAN)),
  });
  const sb = plan.notifications!.serviceBus!;
  const broker = await startServiceBusBroker(
    sb.topic ? { topics: [{ name: sb.topic, subscriptions: ['audit'] }] } : { queues: [sb.queue!] },
  );
  const control = createArmLogicAppsControl({
    ...simulatorConnection(sim, new ArmThrottle()),
    maxRetries: options.sdkRetries ?? 0,
  });
  installControlPlane({
    plan,
    control,
    probe: createHealthProbe({ control, plan, settings: {}, ca: sim.caCertPem }),
    notifier: createServiceBusNotifier(
      {
        connectionString: broker.connectionString,
        ...(sb.topic ? { topic: sb.topic } : { queue: sb.queue! }),
      },
      { timeoutMs: 2_000 },
    ),
    describe: 'test estate',
  });
  const startHost = () =>
    startFunctionsHost({
      files: [join(ROOT, 'functions')],
      settings: { DR_WATCHDOG_SCHEDULE: '*/30 * * * * *' },
      clock: 'virtual',
      startTime: sim.clock.now(),
      checkDeterminism: true,
      ...(options.storeDir ? { storeDir: options.storeDir } : {}),
    });
  let host = await startHost();

  const estate: Estate = {
    plan,
    sim,
    broker,
    get host() {
      return host;
    },
    async advance(ms, stepMs = 30_000) {
      const end = host.clock.now() + ms;
      while (host.clock.now() < end) {
        const next = Math.min(end, host.clock.now() + stepMs);
        sim.advanceTo(new Date(next));
        await host.clock.advanceTo(next);
      }
    },
    monitor() {
      return host.durable.getStatus(monitorInstanceId(plan.id))?.customStatus as MonitorStatus;
    },
    operations() {
      return host.durable
        .list()
        .filter((s) => s.name === 'drOperation')
        .map((s) => ({
          instanceId: s.instanceId,
          runtimeStatus: s.runtimeStatus,
          output: s.output as OperationRecord | undefined,
        }));
    },
    async restartHost() {
      const at = host.clock.now();
      await host.stop();
      host = await startFunctionsHost({
        files: [join(ROOT, 'functions')],
        settings: { DR_WATCHDOG_SCHEDULE: '*/30 * * * * *' },
        clock: 'virtual',
        startTime: at,
        checkDeterminism: true,
        ...(options.storeDir ? { storeDir: options.storeDir } : {}),
      });
    },
    async stop() {
      await host.stop();
      await broker.stop();
      await sim.stop();
      installControlPlane(undefined);
    },
  };
  return estate;
}
