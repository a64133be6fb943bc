#!/usr/bin/env node
// azd predown hook: refuses `azd down`. azd deletes every resource group its deployment put a resource in
// (Azure/azure-dev#2916); this deployment puts the health check and role assignments in the workload's resource
// groups, so `azd down` would delete the Logic Apps the control plane protects. Prints instead the commands that
// remove exactly what the deployment added (docs/deploy.md "Removing the control plane") and exits 1.
import { teardownCommands } from './plan-targets.mjs';

const encoded = process.env.DR_TARGETS_BASE64?.trim();
console.error(
  'predown: refusing `azd down`: it deletes whole resource groups, and this deployment placed the health check ' +
    'and role assignments in the workload resource groups, which hold the Logic Apps being protected.',
);
if (!encoded) {
  console.error(
    'predown: DR_TARGETS_BASE64 is not set (no azd provision in this environment): nothing to list.',
  );
  process.exit(1);
}
let targets;
try {
  targets = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
} catch (err) {
  console.error(
    `predown: DR_TARGETS_BASE64 is not base64 JSON (${err instanceof Error ? err.message : err})`,
  );
  process.exit(1);
}
console.error('predown: remove the control plane with these commands instead (review them first):\n');
console.log(teardownCommands(targets, process.env).join('\n'));
process.exit(1);
