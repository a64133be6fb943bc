import { nextOccurrence } from '../../../src/core/recurrence';
import {
  type SimIntegrationAccount,
  type SimRun,
  type SimSite,
  type SimTrigger,
  type SimWorkflow,
  type SimWorkflowState,
} from './model';

/** Fills `name`/`type` of a `{ id }` reference from the id, as the service does for integrationAccount etc. */
function completeReference(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const ref = { ...(value as Record<string, unknown>) };
  const match = typeof ref.id === 'string' ? /\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(ref.id) : null;
  if (match) {
    ref.name ??= match[3];
    ref.type ??= `${match[1]}/${match[2]}`;
  }
  return ref;
}

/** Stable made-up outbound/inbound addresses per region (documentation ranges), for endpointsConfiguration. */
function endpointsConfiguration(region: string): Record<string, unknown> {
  let h = 0;
  for (const c of region) h = (h * 31 + c.charCodeAt(0)) % 250;
  const ip = (n: number): { address: string } => ({ address: `203.0.${h}.${n}` });
  return {
    workflow: { outgoingIpAddresses: [ip(1), ip(2)], accessEndpointIpAddresses: [ip(10), ip(11)] },
    connector: { outgoingIpAddresses: [ip(20)] },
  };
}

/** ARM JSON for an integration account (IntegrationAccount in the 2019-05-01 spec). */
export function integrationAccountResource(account: SimIntegrationAccount): Record<string, unknown> {
  return {
    properties: { state: 'Enabled' },
    sku: { name: account.sku },
    id: account.id,
    name: account.name,
    type: 'Microsoft.Logic/integrationAccounts',
    location: account.location,
  };
}

/** ARM JSON for a consumption workflow (Workflow in the 2019-05-01 spec). */
export function workflowResource(wf: SimWorkflow, accessEndpoint: string): Record<string, unknown> {
  const extra = structuredClone(wf.extraProperties);
  for (const k of ['integrationAccount', 'integrationServiceEnvironment']) {
    if (k in extra) extra[k] = completeReference(extra[k]);
  }
  extra.endpointsConfiguration ??= endpointsConfiguration(wf.location);
  return {
    properties: {
      ...extra,
      provisioningState: 'Succeeded',
      createdTime: wf.createdTime.toISOString(),
      changedTime: wf.changedTime.toISOString(),
      state: wf.state,
      version: wf.version,
      accessEndpoint,
      definition: structuredClone(wf.definition),
      parameters: structuredClone(wf.parameters),
    },
    id: wf.id,
    name: wf.name,
    type: 'Microsoft.Logic/workflows',
    location: wf.location,
    tags: { ...wf.tags },
    ...(wf.identity ? { identity: structuredClone(wf.identity) } : {}),
  };
}

function versionReference(wf: SimWorkflow): Record<string, string> {
  return {
    id: `${wf.id}/versions/${wf.version}`,
    name: wf.version,
    type: 'Microsoft.Logic/workflows/versions',
  };
}

/** ARM JSON for a trigger (WorkflowTrigger). */
export function triggerResource(
  wf: SimWorkflow,
  trigger: SimTrigger,
  state: SimWorkflowState,
  now: Date,
): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    provisioningState: 'Succeeded',
    createdTime: wf.createdTime.toISOString(),
    changedTime: wf.changedTime.toISOString(),
    state,
    workflow: versionReference(wf),
  };
  const last = [...wf.runs].reverse().find((r) => r.trigger.toLowerCase() === trigger.name.toLowerCase());
  if (last) {
    properties.lastExecutionTime = last.startTime;
    properties.status = last.status;
  }
  if (trigger.rawRecurrence) properties.recurrence = structuredClone(trigger.rawRecurrence);
  if (trigger.recurrence && state === 'Enabled') {
    const next = nextOccurrence(trigger.recurrence, now, wf.enabledSince);
    if (next) properties.nextExecutionTime = next.toISOString();
  }
  return {
    properties,
    id: `${wf.id}/triggers/${trigger.name}`,
    name: trigger.name,
    type: 'Microsoft.Logic/workflows/triggers',
  };
}

/** ARM JSON for a run (WorkflowRun). */
export function runResource(wf: SimWorkflow, run: SimRun): Record<string, unknown> {
  const correlation = { clientTrackingId: run.name };
  const triggerPart: Record<string, unknown> = {
    name: run.trigger,
    startTime: run.startTime,
    scheduledTime: run.slotTime,
    correlation,
    code: 'OK',
    status: 'Succeeded',
  };
  if (run.endTime) triggerPart.endTime = run.startTime;
  return {
    properties: {
      waitEndTime: run.startTime,
      startTime: run.startTime,
      ...(run.endTime ? { endTime: run.endTime } : {}),
      status: run.status,
      correlation,
      workflow: {
        id: `${wf.id}/versions/${run.version}`,
        name: run.version,
        type: 'Microsoft.Logic/workflows/versions',
      },
      trigger: triggerPart,
      outputs: {},
    },
    id: run.id,
    name: run.name,
    type: 'Microsoft.Logic/workflows/runs',
  };
}

/** ARM JSON for a Logic Apps Standard site (the fields our adapters read). */
export function siteResource(site: SimSite): Record<string, unknown> {
  return {
    id: site.id,
    name: site.name,
    type: 'Microsoft.Web/sites',
    kind: 'functionapp,workflowapp',
    location: site.location,
    tags: {},
    properties: {
      state: 'Running',
      enabled: true,
      hostNames: [`${site.name.toLowerCase()}.azurewebsites.net`],
      defaultHostName: `${site.name.toLowerCase()}.azurewebsites.net`,
    },
  };
}

/** ARM JSON for `config/appsettings` (a StringDictionary). */
export function appSettingsResource(site: SimSite): Record<string, unknown> {
  return {
    id: `${site.id}/config/appsettings`,
    name: 'appsettings',
    type: 'Microsoft.Web/sites/config',
    location: site.location,
    properties: { ...site.appSettings },
  };
}
