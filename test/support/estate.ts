/**
 * The whole control plane on local protocol servers: the ARM simulator seeded from the example plan, the AMQP
 * broker receiving notifications, real adapters over both, and the in-process host running `functions/`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { createServiceBusNotifier } from '../../src/adapters/servicebus';
import { installControlPlane, installHttpClock } from '../../src/composition';
import { simulatorConnection } from '../../local/sim/arm';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { loadPlan } from '../../src/plan/load';
import type { Plan } from '../../src/plan/schema';
import { type ArmSimulator } from '../../local/sim/arm';
import { startCheckedSimulator } from '../sim/arm/helpers';
import { startServiceBusBroker, type ServiceBusBroker } from '../../local/sim/servicebus';
import { loadEntryDefinitions, pointRoutersAtPrimary, sampleEstateSeed } from '../../local/sim/sample-estate';
import { createArmRouterControl } from '../../src/adapters/routers/arm';
import {
  startFunctionsHost,
  type FunctionsHost,
  type FunctionsHostOptions,
  type HostLogEntry,
} from '../../local/host';
import {
  MONITOR_SIGNAL,
  monitorInstanceId,
  monitorOf,
  type MonitorStatus,
  type OperationRecord,
  type OperationRequest,
  type Signal,
} from '../../src/durable/contracts';

export const ROOT = join(__dirname, '../..');
export const EXAMPLE_PLAN = join(ROOT, 'examples/plan.json');
export const START = new Date('2026-03-02T08:00:00Z');

export interface Estate {
  plan: Plan;
  sim: ArmSimulator;
  broker: ServiceBusBroker;
  host: FunctionsHost;
  /** Every fault injected through `outage`, with virtual start and end times (for the invariant checker). */
  faults: FaultWindow[];
  outage(region: string, fault: Parameters<ArmSimulator['outage']>[1]): void;
  restore(region: string): Promise<void>;
  /** Moves both virtual clocks together in `stepMs` steps, running everything due. */
  advance(ms: number, stepMs?: number): Promise<void>;
  monitor(): MonitorStatus;
  /** Asks the monitor for an operation, as the HTTP API does: a `request-operation` signal with this id. */
  requestOperation(id: string, request: OperationRequest): void;
  operations(): { instanceId: string; runtimeStatus: string; output: OperationRecord | undefined }[];
  restartHost(): Promise<void>;
  stop(): Promise<void>;
}

export interface EstateOptions {
  planPatch?: (plan: Plan) => Plan;
  storeDir?: string;
  sdkRetries?: number;
  /** Seed for the simulator's `errors` fault, so fault scenarios are repeatable. */
  faultSeed?: number;
  /** Keys the host accepts for `authLevel: 'function'` routes (the HTTP API). */
  functionKeys?: string[];
  /** Every host log line (context.log of the functions included), e.g. to check nothing secret is logged. */
  log?: (entry: HostLogEntry) => void;
  /** How long a notification delivery keeps trying (DR_NOTIFY_TTL); default a day. */
  notificationTtlMs?: number;
  /** Start of virtual time (default START). */
  start?: Date;
  /** Kills the host after an activity's side effect, before its result is recorded (see FunctionsHostOptions). */
  crashAfterActivity?: FunctionsHostOptions['crashAfterActivity'];
  /**
   * Files of functions/ the first host does not load (e.g. `operation.ts`: the task hub then refuses to start
   * that orchestration); `restartHost` loads them all, as a deployment that brings them back.
   */
  withoutFunctions?: string[];
}

/** A workflow's state in a region, as the simulator has it now. */
export const stateOf = (e: Estate, region: string, name: string) =>
  e.sim.workflows().find((w) => w.region === region && w.name === name)?.state;
/** When the workflow was last enabled in the region (virtual ms), if it was. */
export const enabledAt = (e: Estate, region: string, name: string) => {
  const c = e.sim
    .stateChanges()
    .filter((x) => x.region === region && x.workflowName === name && x.to === 'Enabled')
    .at(-1);
  return c ? Date.parse(c.virtualTime) : undefined;
};

export interface FaultWindow {
  region: string;
  kind: string;
  from: number;
  to?: number;
}

/**
 * For a test file whose tests each start an estate: `const estates = estatePerTest()` registers an afterEach
 * that stops the test's estate (even when the test failed), so no test leaks servers into the next one.
 */
export function estatePerTest(): { start(options?: EstateOptions): Promise<Estate> } {
  let current: Estate | undefined;
  afterEach(async () => {
    const e = current;
    current = undefined;
    await e?.stop();
  });
  return { start: async (options) => (current = await startEstate(options)) };
}

export async function startEstate(options: EstateOptions = {}): Promise<Estate> {
  const loaded = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
  const plan = options.planPatch ? options.planPatch(loaded.plan) : loaded.plan;
  // Every ARM answer of every estate-based test is checked against the official spec (stop() fails otherwise).
  const sim = await startCheckedSimulator({
    now: options.start ?? START,
    ...(options.faultSeed !== undefined ? { faultSeed: options.faultSeed } : {}),
    seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, EXAMPLE_PLAN)),
  });
  const sb = plan.notifications!.serviceBus!;
  const broker = await startServiceBusBroker(
    sb.topic ? { topics: [{ name: sb.topic, subscriptions: ['audit'] }] } : { queues: [sb.queue!] },
  );
  const throttle = new ArmThrottle();
  const control = createArmLogicAppsControl({
    ...simulatorConnection(sim, throttle),
    maxRetries: options.sdkRetries ?? 0,
  });
  let hostNow: () => number = Date.now;
  const notifier = createServiceBusNotifier(
    { connectionString: broker.connectionString, ...(sb.topic ? { topic: sb.topic } : { queue: sb.queue! }) },
    // The breaker's pause is on the host's virtual clock, like the delivery retries it cuts short.
    { timeoutMs: 2_000, now: () => hostNow() },
  );
  const routers = createArmRouterControl({
    ...simulatorConnection(sim, new ArmThrottle()),
    maxRetries: options.sdkRetries ?? 0,
  });
  // As the deployment leaves them: every router sends calls to the primary.
  await pointRoutersAtPrimary(plan, control, routers);
  installControlPlane({
    plan,
    control,
    routers,
    probe: createHealthProbe({ control, plan, settings: {}, ca: sim.caCertPem }),
    notifier,
    ...(options.notificationTtlMs ? { notificationTtlMs: options.notificationTtlMs } : {}),
    describe: 'test estate',
    armLatencyMs: () => throttle.observedLatencyMs(),
  });
  const hostExtras = {
    ...(options.storeDir ? { storeDir: options.storeDir } : {}),
    ...(options.functionKeys ? { functionKeys: options.functionKeys } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.crashAfterActivity ? { crashAfterActivity: options.crashAfterActivity } : {}),
  };
  const functionsDir = join(ROOT, 'functions');
  const without = options.withoutFunctions ?? [];
  const startHost = () =>
    startFunctionsHost({
      files: without.length
        ? readdirSync(functionsDir)
            .filter((f) => f.endsWith('.ts') && !without.includes(f))
            .map((f) => join(functionsDir, f))
        : [functionsDir],
      settings: { DR_WATCHDOG_SCHEDULE: '*/30 * * * * *' },
      clock: 'virtual',
      startTime: sim.clock.now(),
      checkDeterminism: true,
      ...hostExtras,
    });
  let host = await startHost();
  hostNow = () => host.clock.now();
  // The HTTP handlers' "now" is the host's virtual clock, like the monitor's.
  installHttpClock(() => new Date(host.clock.now()));

  const faults: FaultWindow[] = [];
  const estate: Estate = {
    plan,
    sim,
    broker,
    faults,
    outage(region, fault) {
      sim.outage(region, fault);
      faults.push({ region, kind: fault.kind, from: host.clock.now() });
    },
    async restore(region) {
      sim.restore(region);
      await sim.settle();
      for (const f of faults) if (f.region === region && f.to === undefined) f.to = host.clock.now();
    },
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
    requestOperation(id, request) {
      const signal: Signal = { kind: 'request-operation', id, request };
      host.durable.raiseEvent(monitorInstanceId(plan.id), MONITOR_SIGNAL, signal);
    },
    monitor() {
      const status = host.durable.getStatus(monitorInstanceId(plan.id));
      return (status ? monitorOf(status) : undefined) as MonitorStatus;
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
        ...hostExtras,
      });
    },
    async stop() {
      await host.stop();
      await notifier.close(); // An open AMQP connection would keep the process alive.
      await broker.stop();
      try {
        await sim.stop();
      } finally {
        installControlPlane(undefined);
        installHttpClock(undefined);
      }
    },
  };
  return estate;
}

/** Advances in small steps until `done`, for at most `limitMs` of virtual time (and fails if it never is). */
export async function advanceUntil(e: Estate, done: () => boolean, limitMs: number, stepMs = 5_000) {
  for (let waited = 0; !done() && waited < limitMs; waited += stepMs) await e.advance(stepMs, stepMs);
  expect(done()).toBe(true);
}

/**
 * Five quiet minutes, then the primary's health check fails for thirty: the one automatic failover that follows
 * must have completed; its record.
 */
export async function failoverAfterPrimaryUnhealthy(e: Estate): Promise<OperationRecord> {
  await e.advance(5 * 60_000);
  e.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
  await e.advance(30 * 60_000);
  const ops = e.operations();
  expect(ops.map((o) => o.runtimeStatus)).toEqual(['Completed']);
  return ops[0]!.output!;
}
