#!/usr/bin/env node
// azd preprovision hook: checks the failover plan with the project's own validator, then stores the two
// main.bicep parameters (planBase64, targetsBase64) in the azd environment.
//
//   DR_PLAN_FILE   the plan to deploy (default examples/plan.json)
//
// Without azd: `node infra/hooks/preprovision.mjs --print [PLAN]` prints an ARM parameters file for
// `az deployment sub create -f infra/main.bicep -p @params.json -p environmentName=... location=...`.
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

const { parameters, targets, warnings } = deploymentParameters(loaded.plan);
for (const w of warnings) console.warn(`preprovision: warning: ${w}`);

const location = process.env.AZURE_LOCATION;
if (location && normaliseLocation(location) !== normaliseLocation(loaded.plan.secondary.location)) {
  console.warn(
    `preprovision: warning: AZURE_LOCATION is ${location} but the plan's secondary region is ` +
      `${loaded.plan.secondary.location}; a control plane outside the secondary region may fail with it`,
  );
}

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
  `preprovision: plan "${loaded.plan.id}" from ${planFile}: ${targets.scopes.length} workflow resource group(s), ` +
    `health check ${targets.healthCheck.enabled ? targets.healthCheck.name : 'by URL setting'}, ` +
    `notifications ${targets.serviceBus.enabled ? `${targets.serviceBus.entityKind} ${targets.serviceBus.fullyQualifiedNamespace}/${targets.serviceBus.entityName}` : 'none'}`,
);
