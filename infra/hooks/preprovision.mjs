#!/usr/bin/env node
// azd preprovision hook: checks the failover plan with the project's own validator, checks that azd deploys
// to the plan's secondary region, then stores main.bicep's plan-derived parameters (planBase64,
// targetsBase64, watchdogSchedule) in the azd environment.
//
//   DR_PLAN_FILE     the plan to deploy (default examples/plan.json)
//   AZURE_LOCATION   azd's region: must be the plan's secondary region (the control plane goes there)
//
// Without azd: `node infra/hooks/preprovision.mjs --print [PLAN]` prints an ARM parameters file for
// `az deployment sub create -l <secondary> -f infra/main.bicep -p @params.json -p environmentName=...`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';
import { AZD_ENV_NAMES, deploymentParameters, normaliseLocation } from './plan-targets.mjs';

const args = process.argv.slice(2);
const print = args.includes('--print');
const planFile = args.find((a) => !a.startsWith('--')) ?? process.env.DR_PLAN_FILE ?? 'examples/plan.json';

function fail(message) {
  console.error(`preprovision: ${message}`);
  process.exit(1);
}

let text;
try {
  text = readFileSync(planFile, 'utf8');
} catch (err) {
  fail(`cannot read the plan file ${resolve(planFile)} (${err.code ?? err}); set DR_PLAN_FILE to your plan`);
}

// The same schema and DR rules the control plane applies at start-up, so a bad plan never reaches Azure.
const { parsePlan } = tsxRequire('../../src/plan/load.ts', import.meta.url);
let loaded;
try {
  loaded = parsePlan(text, planFile, dirname(resolve(planFile)));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

// The control plane must survive the primary's outage: main.bicep puts it in plan.secondary.location, and
// an azd environment made for another region is refused here rather than silently overridden.
const location = process.env.AZURE_LOCATION;
const secondary = loaded.plan.secondary.location;
if (location && normaliseLocation(location) !== normaliseLocation(secondary)) {
  fail(
    `AZURE_LOCATION is ${location} but the plan's secondary region is ${secondary}: the control plane runs in ` +
      `the secondary region so that it survives the primary's outage. Run \`azd env set AZURE_LOCATION ${secondary}\` ` +
      `(or \`azd env new <name> --location ${secondary}\`), or deploy the plan meant for ${location}`,
  );
}

// The watchdog ticks at the plan's probe interval: the same function `npm start` uses.
const { watchdogScheduleFor } = tsxRequire('../../src/config/watchdog-schedule.ts', import.meta.url);
let deployment;
try {
  deployment = deploymentParameters(loaded.plan, {
    watchdogSchedule: watchdogScheduleFor(loaded.plan.policy.probeInterval),
  });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const { parameters, targets, warnings } = deployment;
for (const w of warnings) console.warn(`preprovision: warning: ${w}`);

if (print) {
  const file = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
    contentVersion: '1.0.0.0',
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { value: v }])),
  };
  console.log(JSON.stringify(file, null, 2));
  process.exit(0);
}

for (const [param, value] of Object.entries(parameters)) {
  const name = AZD_ENV_NAMES[param];
  const result = spawnSync('azd', ['env', 'set', name, value], { stdio: 'inherit', shell: false });
  if (result.error || result.status !== 0) {
    fail(`azd env set ${name} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}
console.log(
  `preprovision: plan "${loaded.plan.id}" from ${planFile}: control plane in ${secondary}, watchdog ` +
    `"${parameters.watchdogSchedule}" (probeInterval ${loaded.plan.policy.probeInterval}), ` +
    `${targets.scopes.length} workflow resource group(s), ` +
    `health check ${targets.healthCheck.enabled ? targets.healthCheck.name : 'by URL setting'}, ` +
    `notifications ${targets.serviceBus.enabled ? `${targets.serviceBus.entityKind} ${targets.serviceBus.fullyQualifiedNamespace}/${targets.serviceBus.entityName}` : 'none'}`,
);
