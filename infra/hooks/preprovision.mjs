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
// `--rbac [PLAN]` prints, per workflow resource group, the `az deployment group create` of infra/rbac.bicep
// that grants the plan's roles there (for groups whose owners deploy it themselves); the principal is
// DR_CONTROL_PLANE_PRINCIPAL_ID when set.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';
import {
  AZD_ENV_NAMES,
  authSettingsCheck,
  deploymentParameters,
  normaliseLocation,
  rbacCommands,
} from './plan-targets.mjs';

const args = process.argv.slice(2);
const print = args.includes('--print');
const rbac = args.includes('--rbac');
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

// Who may call the API (docs/security.md): refuse settings that would lock every caller out.
const auth = authSettingsCheck(process.env);
if (auth.problems.length) fail(auth.problems.join('; '));
for (const w of auth.warnings) console.warn(`preprovision: warning: ${w}`);

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

if (rbac) {
  const principal = process.env.DR_CONTROL_PLANE_PRINCIPAL_ID?.trim();
  for (const command of rbacCommands(targets, principal || undefined)) console.log(command);
  process.exit(0);
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
const count = (field) => targets.scopes.reduce((n, scope) => n + scope[field].length, 0);
console.log(
  `preprovision: plan "${loaded.plan.id}" from ${planFile}: control plane in ${secondary}, watchdog ` +
    `"${parameters.watchdogSchedule}" (probeInterval ${loaded.plan.policy.probeInterval}), ` +
    `roles on ${count('workflows')} workflow(s) (${count('rewriteWorkflows')} rewritten) and ` +
    `${count('sites')} Standard site(s) in ${targets.scopes.length} resource group(s), ` +
    `health check ${targets.healthCheck.enabled ? targets.healthCheck.name : 'by URL setting'}, ` +
    `API ${auth.principalRequired ? 'sign-in required (app roles decide)' : process.env.DR_KEY_IS_OPERATOR?.trim() === 'true' ? 'key is operator' : 'key-only callers may only read'}, ` +
    `notifications ${targets.serviceBus.enabled ? `${targets.serviceBus.entityKind} ${targets.serviceBus.fullyQualifiedNamespace}/${targets.serviceBus.entityName}` : 'none'}`,
);
