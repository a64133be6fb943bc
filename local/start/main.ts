/**
 * `npm start`: the control plane on this machine, no Azure and no Functions Core Tools needed.
 * Composition root (reads process.env). Without DR_PLAN_PATH / DR_PLAN it runs the embedded estate (ARM
 * simulator, Service Bus broker, the real functions/ on the in-process host); with one, the same host
 * against real Azure.
 *
 *   PORT (7071)  SIM_PORT (7072)  DR_LOCAL_PROBE_INTERVAL (PT2S)  DR_LOCAL_SPLIT_EVERY (PT1M)
 *   DURABLE_STORE_DIR (.durable-store)  DR_KEEP_STATE=true  FUNCTIONS_KEYS (embedded: the first key, default
 *   local-demo-key, printed; against Azure: never printed, generated into <store>/function-key when unset)
 *   DR_SIM_KEY (embedded: the simulator control API's key; generated at start when unset, printed)
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlane, installControlPlane, installTelemetry } from '../../src/composition';
import { startLocalTelemetry } from './telemetry';
import { startFunctionsHost, type FunctionsHost } from '../host';
import { startEmbeddedEstate, type EmbeddedEstate } from './embedded';
import { watchdogScheduleFor } from '../../src/config/watchdog-schedule';
import {
  causalLog,
  formatLogLine,
  loggingControl,
  loggingProbe,
  watchControlPlane,
  type LiveLog,
} from './live-log';
import { startSettings, type StartSettings } from './settings';

const ROOT = join(__dirname, '../..');

const print: LiveLog = (line) => {
  const text = formatLogLine(line);
  if (line.level === 'error' || line.level === 'warn') console.error(text);
  else console.log(text);
};

/** The line tests and scripts wait for; everything is listening once it is printed. */
const READY_MARKER = 'READY';

function embeddedBanner(
  estate: EmbeddedEstate,
  settings: Extract<StartSettings, { mode: 'embedded' }>,
): string[] {
  const api = `${estate.apiUrl}/api`;
  const key = estate.functionKey;
  const simKey = estate.simKey;
  return [
    '',
    '  logic-apps-failover: LOCAL DEMO (embedded estate, nothing touches Azure)',
    '',
    `  plan            ${settings.planFile} (${estate.plan.id})`,
    `  regions         primary ${estate.plan.primary.location}, secondary ${estate.plan.secondary.location}`,
    `  cadence         shortened for the local demo: ${estate.planNotes.join('; ')}`,
    `  watchdog        ${estate.watchdogSchedule}`,
    `  HTTP API        ${api}   (header x-functions-key: ${key})`,
    '  auth            key-is-operator on: the demo key may fail over, fail back, pause and resume (a deployed',
    '                  app lets a key alone only read unless DR_KEY_IS_OPERATOR=true; docs/security.md)',
    `  simulator       ${estate.simUrl}   (header x-functions-key: ${simKey}; ARM ${estate.sim.armEndpoint})`,
    `  notifications   Service Bus broker ${estate.broker.host}:${estate.broker.port}, ${estate.notificationEntity}`,
    `  durable store   ${estate.storeDir}${settings.keepState ? ' (kept from the last run)' : ' (wiped at start)'}`,
    ...(settings.ignoredAzure.length
      ? [
          `  note            ${settings.ignoredAzure.join(', ')} ignored: set DR_PLAN_PATH to run against Azure`,
        ]
      : []),
    '',
    '  try:',
    `    curl -s -H 'x-functions-key: ${key}' ${api}/status`,
    `    curl -s -X POST -H 'x-functions-key: ${simKey}' ${estate.simUrl}/regions/${estate.plan.primary.location}/outage -d '{"kind":"down"}'`,
    `    curl -s -X POST -H 'x-functions-key: ${simKey}' ${estate.simUrl}/regions/${estate.plan.primary.location}/restore`,
    `    curl -s -X POST -H 'x-functions-key: ${key}' ${api}/failback -d '{"reason":"primary is back","force":true}'`,
    '',
    `${READY_MARKER} api=${api} sim=${estate.simUrl} key=${key} sim-key=${simKey}`,
  ];
}

async function runEmbedded(
  settings: Extract<StartSettings, { mode: 'embedded' }>,
): Promise<() => Promise<void>> {
  const estate = await startEmbeddedEstate({
    planFile: settings.planFile,
    cadence: settings.cadence,
    httpPort: settings.httpPort,
    simPort: settings.simPort,
    storeDir: settings.storeDir,
    keepState: settings.keepState,
    functionKey: settings.functionKey,
    ...(settings.simKey ? { simKey: settings.simKey } : {}),
    functionsDir: settings.functionsDir,
    log: print,
  });
  for (const line of embeddedBanner(estate, settings)) console.log(line);
  return () => estate.stop();
}

/** Where the function key of an Azure-mode run lives (once written), printed in place of the key itself. */
const FUNCTION_KEY_FILE = 'function-key';

/**
 * The keys an Azure-mode run accepts: FUNCTIONS_KEYS, or one generated and written (owner-only) next to the
 * durable store, because a key that can fail over real Logic Apps must not appear in the console.
 */
function azureFunctionKeys(settings: Extract<StartSettings, { mode: 'azure' }>): {
  keys: string[];
  /** For the banner: where the key is. */
  where: string;
  /** For the READY line: `key-from=FUNCTIONS_KEYS` or `key-file=<path>`. */
  ready: string;
} {
  if (settings.functionKeys.length)
    return {
      keys: settings.functionKeys,
      where: 'the first key in FUNCTIONS_KEYS',
      ready: 'key-from=FUNCTIONS_KEYS',
    };
  const key = randomBytes(18).toString('base64url');
  const file = join(settings.storeDir, FUNCTION_KEY_FILE);
  mkdirSync(settings.storeDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync keeps the mode of an existing file
  return { keys: [key], where: `generated, in ${file}`, ready: `key-file=${file}` };
}

async function runAgainstAzure(
  settings: Extract<StartSettings, { mode: 'azure' }>,
): Promise<() => Promise<void>> {
  const now = () => new Date();
  const log = causalLog(print);
  // Builds (and so checks) the plan, the credential and the adapters before anything listens.
  const plane = controlPlane();
  installControlPlane({
    ...plane,
    control: loggingControl(plane.control, log, now),
    probe: loggingProbe(plane.probe, log, now),
  });
  const { keys, where, ready } = azureFunctionKeys(settings);
  const schedule =
    settings.appSettings.DR_WATCHDOG_SCHEDULE?.trim() || watchdogScheduleFor(plane.plan.policy.probeInterval);
  const host: FunctionsHost = await startFunctionsHost({
    files: [settings.functionsDir],
    settings: { ...settings.appSettings, DR_WATCHDOG_SCHEDULE: schedule },
    clock: 'real',
    httpPort: settings.httpPort,
    storeDir: settings.storeDir,
    functionKeys: keys,
    ...(settings.appSettings.DR_TASK_HUB ? { taskHubName: settings.appSettings.DR_TASK_HUB } : {}),
    log: (e) => {
      const level = e.level.toLowerCase();
      if (
        level === 'error' ||
        level === 'critical' ||
        level === 'warning' ||
        (e.category === 'user' && level !== 'debug')
      )
        log({
          at: now(),
          topic: 'host',
          level: level === 'information' ? 'info' : 'warn',
          message: e.message,
        });
    },
  });
  const stopWatching = watchControlPlane(host, plane.plan.id, log, now);
  const loud = '!'.repeat(78);
  for (const line of [
    loud,
    '!!  RUNNING AGAINST AZURE: failovers started here change REAL Logic Apps.',
    `!!  plan ${plane.plan.id} from ${settings.planSource}`,
    `!!  ARM: ${plane.describe}`,
    `!!  primary ${plane.plan.primary.location} -> secondary ${plane.plan.secondary.location}`,
    loud,
    // The key guards real failovers: never in a log (scrollback, CI output); say where it is instead.
    `  HTTP API        ${host.url}/api   (header x-functions-key: ${where})`,
    `  watchdog        ${schedule}`,
    `  durable store   ${settings.storeDir} (local; kept)`,
    '',
    `${READY_MARKER} api=${host.url}/api ${ready}`,
  ])
    console.log(line);
  return async () => {
    stopWatching();
    await host.stop();
    log.close();
    installControlPlane(undefined);
  };
}

async function main(): Promise<void> {
  const settings = startSettings(process.env, ROOT);
  // Before the host loads the functions: their first spans and metrics already have somewhere to go.
  const otel = startLocalTelemetry(process.env, (line) => console.log(line));
  await installTelemetry(otel?.telemetry);
  if (otel) console.log(`  telemetry       OpenTelemetry to ${otel.where}`);
  const runStop =
    settings.mode === 'embedded' ? await runEmbedded(settings) : await runAgainstAzure(settings);
  const stop = async () => {
    await runStop();
    await installTelemetry(undefined);
  };
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      console.error(`${signal} again: exiting without a clean stop`);
      process.exit(130);
    }
    stopping = true;
    print({ at: new Date(), topic: 'stop', message: `${signal}: stopping (host, broker, simulator)` });
    stop().then(
      () => {
        print({ at: new Date(), topic: 'stop', message: 'stopped cleanly' });
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
