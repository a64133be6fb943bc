#!/usr/bin/env node
// azd preprovision hook: checks the failover plan with the project's own validator, checks that azd deploys
// to the plan's secondary region, reads through ARM what each rewrite-mode workflow links to (its connections,
// identities and integration account need join/assign too), then stores main.bicep's plan-derived parameters
// (targetsBase64, watchdogSchedule) in the azd environment with
// `azd env set --file` (no value goes on a command line). The plan itself goes in the app package
// (`npm run package`, which azd runs before deploying), not in a parameter.
//
//   DR_PLAN_FILE     the plan to deploy (default examples/plan.json)
//   AZURE_LOCATION   azd's region: must be the plan's secondary region (the control plane goes there)
//   DR_CREATE_SERVICEBUS_NAMESPACE=false with DR_SERVICEBUS_RESOURCE_GROUP (and DR_SERVICEBUS_SUBSCRIPTION_ID
//                    when not the secondary's): the existing namespace's group, where Data Sender is granted
//
// Without azd: `node infra/hooks/preprovision.mjs --print [PLAN]` prints an ARM parameters file for
// `az deployment sub create -l <secondary> -f infra/main.bicep -p @params.json -p environmentName=...`.
// `--rbac [PLAN]` prints, per workflow resource group, the `az deployment group create` of infra/rbac.bicep
// that grants the plan's roles there (for groups whose owners deploy it themselves); the principal is
// DR_CONTROL_PLANE_PRINCIPAL_ID when set.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';
import {
  authSettingsCheck,
  azdEnvFile,
  deploymentParameters,
  namespaceNameProblem,
  normaliseLocation,
  planTargets,
  rbacCommands,
  readLinkedResources,
  serviceBusScopeFromEnv,
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

// What the rewrite-mode workflows link to, read through ARM as the deployer (az/azd sign-in). Offline
// (--print, --rbac without --read-arm) nothing is read, and the warning says what is then not granted.
let linked;
if (!(print || rbac) || args.includes('--read-arm')) {
  const { createArmLogicAppsControl } = tsxRequire('../../src/adapters/logicapps/arm.ts', import.meta.url);
  const { armConnectionFromSettings } = tsxRequire('../../src/config/arm.ts', import.meta.url);
  try {
    const control = createArmLogicAppsControl(armConnectionFromSettings(process.env));
    const read = await readLinkedResources(planTargets(loaded.plan).targets, (t) => control.getWorkflow(t));
    linked = read.linked;
    for (const w of read.unread) console.warn(`preprovision: warning: ${w}`);
  } catch (err) {
    console.warn(
      `preprovision: warning: cannot read the workflows through ARM (${err instanceof Error ? err.message : err})`,
    );
  }
}

let deployment;
try {
  deployment = deploymentParameters(loaded.plan, {
    watchdogSchedule: watchdogScheduleFor(loaded.plan.policy.probeInterval),
    linked,
    serviceBusScope: serviceBusScopeFromEnv(process.env),
  });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const { parameters, targets, warnings } = deployment;

// A namespace main.bicep will create must have a name nobody else holds (names are global).
if (!(print || rbac) && targets.serviceBus.enabled && serviceBusScopeFromEnv(process.env).create) {
  const problem = await checkNamespaceName(targets.serviceBus.namespaceName).catch(
    (err) =>
      `cannot check the Service Bus namespace name through ARM (${err instanceof Error ? err.message : err})`,
  );
  if (problem) fail(problem);
}

/** ARM's CheckNameAvailability, then whether the taken name is the control plane's own namespace. */
async function checkNamespaceName(name) {
  const subscription = process.env.AZURE_SUBSCRIPTION_ID?.trim();
  if (!subscription)
    return 'AZURE_SUBSCRIPTION_ID is not set (azd sets it): cannot check the Service Bus namespace name';
  const group = process.env.AZURE_RESOURCE_GROUP?.trim() || `rg-${process.env.AZURE_ENV_NAME ?? ''}`;
  const { armConnectionFromSettings } = tsxRequire('../../src/config/arm.ts', import.meta.url);
  const connection = armConnectionFromSettings(process.env);
  const endpoint = (connection.endpoint ?? 'https://management.azure.com').replace(/\/$/, '');
  const token = await connection.credential.getToken(connection.credentialScopes ?? [`${endpoint}/.default`]);
  const headers = { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' };
  const api = 'api-version=2024-01-01';
  const check = await fetch(
    `${endpoint}/subscriptions/${subscription}/providers/Microsoft.ServiceBus/CheckNameAvailability?${api}`,
    { method: 'POST', headers, body: JSON.stringify({ name }) },
  );
  if (!check.ok)
    return `ARM answered ${check.status} to the Service Bus namespace name check: ${await check.text()}`;
  const availability = await check.json();
  let own = false;
  if (!availability.nameAvailable && availability.reason === 'NameInUse') {
    const mine = await fetch(
      `${endpoint}/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.ServiceBus/namespaces/${name}?${api}`,
      { headers },
    );
    own = mine.ok;
  }
  return namespaceNameProblem(name, availability, own, group);
}
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

const envDir = mkdtempSync(join(tmpdir(), 'dr-azd-env-'));
try {
  const envFile = join(envDir, 'parameters.env');
  // DR_PLAN_FILE too: `npm run package` (run by azd with the azd environment) then packs the same plan that
  // the roles were derived from, even when it was given only as a shell variable.
  writeFileSync(envFile, azdEnvFile(parameters, { DR_PLAN_FILE: planFile }));
  const result = spawnSync('azd', ['env', 'set', '--file', envFile], { stdio: 'inherit', shell: false });
  if (result.error || result.status !== 0) {
    fail(
      `azd env set --file failed (${result.error?.message ?? `exit ${result.status}`}); this azd may predate "env set --file": update azd`,
    );
  }
} finally {
  rmSync(envDir, { recursive: true, force: true });
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
