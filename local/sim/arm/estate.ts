import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { occurrencesBetween, parseRecurrence } from '../../../src/core/recurrence';
import { type RealTimeSource, type VirtualClock } from './clock';
import { ArmError } from './errors';
import { normaliseLocation } from './location';
import {
  flowStateSetting,
  type SimPlan,
  type SimIntegrationAccount,
  type SimResourceGroup,
  type SimRun,
  type SimRunOrigin,
  type SimSite,
  type SimSubscription,
  type SimTrigger,
  type SimWorkflow,
  type SimWorkflowState,
  type StateChange,
  type StateChangeCause,
} from './model';
import { parseSimSeed } from './seed';

/** Trigger types the simulator fires on the virtual clock. */
const SCHEDULED_TRIGGER_TYPES = new Set(['recurrence', 'slidingwindow']);
/** Properties the service computes; a client sending them back (GET then PUT) must not overwrite them. */
const READ_ONLY_PROPERTIES = new Set([
  'provisioningState',
  'createdTime',
  'changedTime',
  'version',
  'accessEndpoint',
  'sku',
]);
/** Cap on recurrences fired per trigger in one clock step, so a Second trigger and a year-long jump cannot OOM. */
const MAX_OCCURRENCES_PER_STEP = 100_000;

export interface EstateOptions {
  clock: VirtualClock;
  realNow: RealTimeSource;
  /** False while a region is down: its workflows do not fire. */
  isRegionUp: (region: string) => boolean;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function key(name: string): string {
  return name.toLowerCase();
}

/**
 * The in-memory Azure estate: subscriptions, resource groups, consumption workflows, Standard sites, runs and
 * the state-change log. Knows nothing about HTTP; time comes from the injected clocks.
 */
export class Estate {
  private readonly subscriptions = new Map<string, SimSubscription>();
  private readonly stateChanges: StateChange[] = [];
  private readonly runLog: SimRun[] = [];
  private readonly callbackSecret = randomBytes(32);
  private versionCounter = 0n;
  private runCounter = 0n;
  private seq = 0;

  constructor(private readonly options: EstateOptions) {}

  // ---- seeding -------------------------------------------------------------------------------------------

  /** Adds the seeded subscriptions, resource groups, workflows and sites (existing ones are kept). */
  seed(value: unknown): void {
    const seed = parseSimSeed(value);
    for (const [si, sub] of seed.subscriptions.entries()) {
      const subscription = this.ensureSubscription(sub.id);
      for (const [gi, rg] of sub.resourceGroups.entries()) {
        const group = this.ensureResourceGroup(subscription, rg.name, rg.location);
        for (const [wi, wf] of rg.workflows.entries()) {
          const where = `seed.subscriptions.${si}.resourceGroups.${gi}.workflows.${wi}`;
          this.createWorkflow(
            {
              plan: 'consumption',
              subscriptionId: subscription.id,
              resourceGroup: group.name,
              name: wf.name,
              location: wf.location ?? group.location,
              state: wf.state,
              definition: wf.definition,
              parameters: wf.parameters ?? {},
              tags: wf.tags ?? {},
              extraProperties: wf.integrationAccount ? { integrationAccount: wf.integrationAccount } : {},
              ...(wf.identity ? { identity: wf.identity } : {}),
            },
            'seed',
            where,
          );
        }
        for (const account of rg.integrationAccounts) {
          if (group.integrationAccounts.has(key(account.name))) continue;
          group.integrationAccounts.set(key(account.name), {
            id: `/subscriptions/${subscription.id}/resourceGroups/${group.name}/providers/Microsoft.Logic/integrationAccounts/${account.name}`,
            name: account.name,
            location: normaliseLocation(account.location ?? group.location),
            sku: account.sku,
          });
        }
        for (const site of rg.sites) {
          this.seedSite(
            subscription.id,
            group,
            site.name,
            site.location ?? group.location,
            site.appSettings ?? {},
          );
          const simSite = group.sites.get(key(site.name));
          if (!simSite) continue;
          for (const [wi, wf] of site.workflows.entries()) {
            if (wf.state === 'Disabled') simSite.appSettings[flowStateSetting(wf.name)] = 'Disabled';
            const workflow = this.buildWorkflow(
              {
                plan: 'standard',
                subscriptionId: subscription.id,
                resourceGroup: group.name,
                site: simSite.name,
                name: wf.name,
                location: simSite.location,
                state: wf.state,
                definition: wf.definition,
                parameters: {},
                tags: {},
                extraProperties: {},
              },
              `seed.subscriptions.${si}.resourceGroups.${gi}.sites.${site.name}.workflows.${wi}`,
            );
            simSite.workflows.set(key(wf.name), workflow);
            this.logStateChange(workflow, 'Absent', workflow.state, 'seed');
            if (workflow.state === 'Enabled') this.fireWorkflow(workflow, workflow.enabledSince);
          }
        }
      }
    }
  }

  private ensureSubscription(id: string): SimSubscription {
    const existing = this.subscriptions.get(key(id));
    if (existing) return existing;
    const created: SimSubscription = { id, resourceGroups: new Map() };
    this.subscriptions.set(key(id), created);
    return created;
  }

  private ensureResourceGroup(
    subscription: SimSubscription,
    name: string,
    location: string,
  ): SimResourceGroup {
    const existing = subscription.resourceGroups.get(key(name));
    if (existing) return existing;
    const created: SimResourceGroup = {
      name,
      location: normaliseLocation(location),
      workflows: new Map(),
      sites: new Map(),
      integrationAccounts: new Map(),
    };
    subscription.resourceGroups.set(key(name), created);
    return created;
  }

  private seedSite(
    subscriptionId: string,
    group: SimResourceGroup,
    name: string,
    location: string,
    appSettings: Record<string, string>,
  ): void {
    if (group.sites.has(key(name))) return;
    group.sites.set(key(name), {
      id: `/subscriptions/${subscriptionId}/resourceGroups/${group.name}/providers/Microsoft.Web/sites/${name}`,
      subscriptionId,
      resourceGroup: group.name,
      name,
      location: normaliseLocation(location),
      appSettings: { FUNCTIONS_EXTENSION_VERSION: '~4', APP_KIND: 'workflowApp', ...appSettings },
      workflows: new Map(),
    });
  }

  // ---- lookups ---------------------------------------------------------------------------------------------

  subscription(subscriptionId: string): SimSubscription {
    const sub = this.subscriptions.get(key(subscriptionId));
    if (!sub) {
      throw new ArmError(
        404,
        'SubscriptionNotFound',
        `The subscription '${subscriptionId}' could not be found.`,
      );
    }
    return sub;
  }

  resourceGroup(subscriptionId: string, resourceGroup: string): SimResourceGroup {
    const group = this.subscription(subscriptionId).resourceGroups.get(key(resourceGroup));
    if (!group) {
      throw new ArmError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${resourceGroup}' could not be found.`,
      );
    }
    return group;
  }

  /** Like `workflow` but undefined when absent (the resource group must exist). */
  findWorkflow(subscriptionId: string, resourceGroup: string, name: string): SimWorkflow | undefined {
    return this.resourceGroup(subscriptionId, resourceGroup).workflows.get(key(name));
  }

  workflow(subscriptionId: string, resourceGroup: string, name: string): SimWorkflow {
    const wf = this.findWorkflow(subscriptionId, resourceGroup, name);
    if (!wf) throw resourceNotFound('Microsoft.Logic/workflows', name, resourceGroup);
    return wf;
  }

  site(subscriptionId: string, resourceGroup: string, name: string): SimSite {
    const site = this.resourceGroup(subscriptionId, resourceGroup).sites.get(key(name));
    if (!site) throw resourceNotFound('Microsoft.Web/sites', name, resourceGroup);
    return site;
  }

  integrationAccount(subscriptionId: string, resourceGroup: string, name: string): SimIntegrationAccount {
    const account = this.resourceGroup(subscriptionId, resourceGroup).integrationAccounts.get(key(name));
    if (!account) throw resourceNotFound('Microsoft.Logic/integrationAccounts', name, resourceGroup);
    return account;
  }

  trigger(wf: SimWorkflow, triggerName: string): SimTrigger {
    const trigger = wf.triggers.find((t) => key(t.name) === key(triggerName));
    if (!trigger) {
      throw new ArmError(
        404,
        'WorkflowTriggerNotFound',
        `The workflow '${wf.name}' trigger '${triggerName}' could not be found.`,
      );
    }
    return trigger;
  }

  triggerState(wf: SimWorkflow, trigger: SimTrigger): SimWorkflowState {
    if (wf.state === 'Disabled') return 'Disabled';
    return wf.triggerStates.get(key(trigger.name)) ?? 'Enabled';
  }

  /** Every workflow, consumption and Standard, in seed/creation order. */
  allWorkflows(): SimWorkflow[] {
    const out: SimWorkflow[] = [];
    for (const sub of this.subscriptions.values()) {
      for (const group of sub.resourceGroups.values()) {
        out.push(...group.workflows.values());
        for (const site of group.sites.values()) out.push(...site.workflows.values());
      }
    }
    return out;
  }

  allSites(): SimSite[] {
    const out: SimSite[] = [];
    for (const sub of this.subscriptions.values()) {
      for (const group of sub.resourceGroups.values()) out.push(...group.sites.values());
    }
    return out;
  }

  /** Regions that hold at least one workflow or site. */
  regions(): string[] {
    const regions = new Set<string>();
    for (const wf of this.allWorkflows()) regions.add(wf.location);
    for (const site of this.allSites()) regions.add(site.location);
    return [...regions].sort();
  }

  findWorkflowById(id: string): SimWorkflow | undefined {
    return this.allWorkflows().find((wf) => key(wf.id) === key(id));
  }

  findWorkflowByRuntimeId(runtimeId: string): SimWorkflow | undefined {
    return this.allWorkflows().find((wf) => wf.runtimeId === runtimeId.toLowerCase());
  }

  /** Region of an existing workflow or site, for fault injection; undefined when absent. */
  resourceRegion(
    subscriptionId: string,
    resourceGroup: string,
    provider: 'logic' | 'web' | 'integrationAccounts',
    name: string,
  ): string | undefined {
    const group = this.subscriptions.get(key(subscriptionId))?.resourceGroups.get(key(resourceGroup));
    const resource =
      provider === 'web'
        ? group?.sites.get(key(name))
        : provider === 'integrationAccounts'
          ? group?.integrationAccounts.get(key(name))
          : group?.workflows.get(key(name));
    return resource?.location;
  }

  resourceGroupRegion(subscriptionId: string, resourceGroup: string): string | undefined {
    return this.subscriptions.get(key(subscriptionId))?.resourceGroups.get(key(resourceGroup))?.location;
  }

  // ---- consumption workflows ---------------------------------------------------------------------------------

  /** PUT semantics: create (201) or replace the mutable parts (200). */
  putWorkflow(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    body: unknown,
  ): { created: boolean; workflow: SimWorkflow } {
    const group = this.resourceGroup(subscriptionId, resourceGroup);
    if (!isObject(body)) {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        'The request content must be a JSON object (a workflow).',
      );
    }
    const existing = group.workflows.get(key(name));
    const properties = body.properties === undefined ? {} : body.properties;
    if (!isObject(properties)) {
      throw new ArmError(400, 'InvalidRequestContent', "The workflow 'properties' must be a JSON object.");
    }
    const location = body.location;
    if (location !== undefined && typeof location !== 'string') {
      throw new ArmError(400, 'InvalidRequestContent', "The workflow 'location' must be a string.");
    }
    if (!existing && (location === undefined || location.trim() === '')) {
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    }
    if (existing && location !== undefined && normaliseLocation(location) !== existing.location) {
      throw new ArmError(
        409,
        'InvalidResourceLocation',
        `The resource '${name}' already exists in location '${existing.location}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${normaliseLocation(location)}'.`,
      );
    }
    const definition = properties.definition;
    if (!existing && definition === undefined) {
      throw new ArmError(400, 'InvalidRequestContent', "The workflow 'properties.definition' is required.");
    }
    if (definition !== undefined && !isObject(definition)) {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        "The workflow 'properties.definition' must be a JSON object.",
      );
    }
    const parameters = properties.parameters;
    if (parameters !== undefined && !isObject(parameters)) {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        "The workflow 'properties.parameters' must be a JSON object.",
      );
    }
    const state = properties.state;
    if (state !== undefined && state !== 'Enabled' && state !== 'Disabled') {
      throw new ArmError(
        400,
        'InvalidWorkflowState',
        `The workflow state ${JSON.stringify(state)} is not valid; use 'Enabled' or 'Disabled'.`,
      );
    }
    const tags = parseTags(body.tags);
    const identity = body.identity;
    if (identity !== undefined && identity !== null && !isObject(identity)) {
      throw new ArmError(400, 'InvalidRequestContent', "The workflow 'identity' must be a JSON object.");
    }
    const extraProperties: JsonObject = {};
    for (const [k, v] of Object.entries(properties)) {
      if (k === 'definition' || k === 'parameters' || k === 'state' || READ_ONLY_PROPERTIES.has(k)) continue;
      extraProperties[k] = v;
    }

    if (!existing) {
      const workflow = this.createWorkflow(
        {
          plan: 'consumption',
          subscriptionId: this.subscription(subscriptionId).id,
          resourceGroup: group.name,
          name,
          location: location as string,
          state: state ?? 'Enabled',
          definition: definition as JsonObject,
          parameters: parameters ?? {},
          tags: tags ?? {},
          extraProperties,
          ...(isObject(identity) ? { identity } : {}),
        },
        'create',
        'workflow',
      );
      return { created: true, workflow };
    }

    const now = this.options.clock.now();
    if (definition !== undefined) {
      existing.triggers = readTriggers(definition, 'properties.definition');
      existing.definition = structuredClone(definition);
      existing.triggerStates.clear();
      // A changed schedule starts afresh from now, as saving a workflow does in the designer.
      existing.recurrenceCursors.clear();
      if (existing.state === 'Enabled') existing.enabledSince = now;
    }
    const firesAfterSave = definition !== undefined && existing.state === 'Enabled' && state !== 'Disabled';
    if (parameters !== undefined) existing.parameters = structuredClone(parameters);
    if (tags !== undefined) existing.tags = tags;
    existing.extraProperties = structuredClone(extraProperties);
    // PUT replaces the resource: an identity left out is removed, as ARM does.
    if (isObject(identity)) existing.identity = structuredClone(identity);
    else delete existing.identity;
    this.bumpVersion(existing);
    if (state !== undefined && state !== existing.state) this.setState(existing, state, 'update');
    else if (firesAfterSave) this.fireWorkflow(existing, now);
    return { created: false, workflow: existing };
  }

  /** PATCH: the service only patches tags (and identity/sku, which the simulator does not model). */
  patchWorkflow(subscriptionId: string, resourceGroup: string, name: string, body: unknown): SimWorkflow {
    const wf = this.workflow(subscriptionId, resourceGroup, name);
    if (body !== undefined && body !== null) {
      if (!isObject(body)) {
        throw new ArmError(400, 'InvalidRequestContent', 'The request content must be a JSON object.');
      }
      const unsupported = Object.keys(body).filter((k) => {
        if (k === 'tags' || k === 'identity' || k === 'sku') return false;
        if (k === 'location')
          return typeof body.location === 'string' && normaliseLocation(body.location) !== wf.location;
        if (k === 'properties') return isObject(body.properties) && Object.keys(body.properties).length > 0;
        return !['id', 'name', 'type'].includes(k);
      });
      if (unsupported.length > 0) {
        throw new ArmError(
          400,
          'InvalidPatchWorkflowRequest',
          `The request to patch workflow '${wf.name}' is not supported. Only the tags field, SKU tier field and identity field can be patched.`,
        );
      }
      const tags = parseTags(body.tags);
      if (tags !== undefined) wf.tags = tags;
    }
    this.bumpVersion(wf);
    return wf;
  }

  deleteWorkflow(subscriptionId: string, resourceGroup: string, name: string): boolean {
    const group = this.resourceGroup(subscriptionId, resourceGroup);
    const wf = group.workflows.get(key(name));
    if (!wf) return false;
    group.workflows.delete(key(name));
    this.logStateChange(wf, wf.state, 'Deleted', 'delete');
    return true;
  }

  /** enable / disable; a no-op change still counts as a write (new version) but logs no transition. */
  setWorkflowState(wf: SimWorkflow, state: SimWorkflowState, cause: 'enable' | 'disable'): void {
    this.bumpVersion(wf);
    if (wf.state !== state) this.setState(wf, state, cause);
  }

  setTriggerState(wf: SimWorkflow, trigger: SimTrigger, state: SimWorkflowState): void {
    wf.triggerStates.set(key(trigger.name), state);
    wf.recurrenceCursors.delete(key(trigger.name));
    this.bumpVersion(wf);
  }

  // ---- Standard sites ----------------------------------------------------------------------------------------

  /** PUT appsettings replaces every setting; FlowState changes enable or disable the site's workflows. */
  replaceAppSettings(site: SimSite, settings: Record<string, string>): void {
    site.appSettings = { ...settings };
    for (const wf of site.workflows.values()) {
      const value = site.appSettings[flowStateSetting(wf.name)];
      const next: SimWorkflowState =
        value !== undefined && value.toLowerCase() === 'disabled' ? 'Disabled' : 'Enabled';
      if (next !== wf.state) {
        this.bumpVersion(wf);
        this.setState(wf, next, 'appsettings');
      }
    }
  }

  // ---- runs ---------------------------------------------------------------------------------------------------

  recordRun(
    wf: SimWorkflow,
    trigger: string,
    origin: SimRunOrigin,
    options: { slotTime?: Date; status?: SimRun['status'] } = {},
  ): SimRun {
    const now = this.options.clock.now();
    const start = options.slotTime ?? now;
    const status = options.status ?? 'Succeeded';
    const name = this.nextRunName();
    const run: SimRun = {
      id: `${wf.id}/runs/${name}`,
      name,
      workflowId: wf.id,
      workflowName: wf.name,
      plan: wf.plan,
      region: wf.location,
      subscriptionId: wf.subscriptionId,
      resourceGroup: wf.resourceGroup,
      trigger,
      origin,
      slotTime: start.toISOString(),
      startTime: start.toISOString(),
      ...(status === 'Running' ? {} : { endTime: start.toISOString() }),
      status,
      version: wf.version,
    };
    wf.runs.push(run);
    this.runLog.push(run);
    return run;
  }

  /** Completes a Running run (e.g. one started by `startLongRun`). */
  finishRun(runId: string, status: 'Succeeded' | 'Failed' | 'Cancelled'): SimRun {
    const run = this.runLog.find((r) => key(r.id) === key(runId) || r.name === runId);
    if (!run)
      throw new ArmError(404, 'WorkflowRunNotFound', `The workflow run '${runId}' could not be found.`);
    run.status = status;
    run.endTime = this.options.clock.now().toISOString();
    return run;
  }

  runs(): SimRun[] {
    return [...this.runLog].sort((a, b) => a.slotTime.localeCompare(b.slotTime) || a.id.localeCompare(b.id));
  }

  /**
   * Fires every due Recurrence/SlidingWindow occurrence up to `to` for enabled workflows in regions that are up.
   * Slots that pass while a workflow is disabled or its region is down are skipped for good (no back-fill).
   */
  fireRecurrences(to: Date): SimRun[] {
    return this.allWorkflows().flatMap((wf) => this.fireWorkflow(wf, to));
  }

  private fireWorkflow(wf: SimWorkflow, to: Date): SimRun[] {
    const fired: SimRun[] = [];
    for (const trigger of wf.triggers) {
      if (!trigger.recurrence || this.triggerState(wf, trigger) !== 'Enabled') continue;
      const cursorKey = key(trigger.name);
      // Starts 1 ms before the enable time: an occurrence at that instant (the anchor, when the recurrence has
      // no startTime) fires, as the service runs such a workflow immediately.
      const from = wf.recurrenceCursors.get(cursorKey) ?? new Date(wf.enabledSince.getTime() - 1);
      if (to <= from) continue;
      wf.recurrenceCursors.set(cursorKey, to);
      if (!this.options.isRegionUp(wf.location)) continue;
      for (const slot of occurrencesBetween(
        trigger.recurrence,
        from,
        to,
        MAX_OCCURRENCES_PER_STEP,
        wf.enabledSince,
      )) {
        fired.push(this.recordRun(wf, trigger.name, 'recurrence', { slotTime: slot }));
      }
    }
    return fired;
  }

  // ---- callback signatures --------------------------------------------------------------------------------------

  /** SAS-like signature over the workflow, the permission path and the version, keyed by a per-start secret. */
  callbackSignature(wf: SimWorkflow, sp: string, sv: string): string {
    return createHmac('sha256', this.callbackSecret)
      .update(`${wf.runtimeId}\n${sp}\n${sv}`)
      .digest('base64url');
  }

  verifyCallbackSignature(wf: SimWorkflow, sp: string, sv: string, sig: string): boolean {
    const expected = Buffer.from(this.callbackSignature(wf, sp, sv));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  // ---- logs ---------------------------------------------------------------------------------------------------

  stateChangeLog(): StateChange[] {
    return this.stateChanges.map((c) => ({ ...c }));
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private createWorkflow(init: WorkflowInit, cause: 'seed' | 'create', where: string): SimWorkflow {
    const group = this.resourceGroup(init.subscriptionId, init.resourceGroup);
    const workflow = this.buildWorkflow(init, where);
    group.workflows.set(key(init.name), workflow);
    this.logStateChange(workflow, 'Absent', workflow.state, cause);
    if (workflow.state === 'Enabled') this.fireWorkflow(workflow, workflow.enabledSince);
    return workflow;
  }

  private buildWorkflow(init: WorkflowInit, where: string): SimWorkflow {
    const now = this.options.clock.now();
    const id =
      init.plan === 'standard'
        ? `/subscriptions/${init.subscriptionId}/resourceGroups/${init.resourceGroup}/providers/Microsoft.Web/sites/${init.site ?? ''}/workflows/${init.name}`
        : `/subscriptions/${init.subscriptionId}/resourceGroups/${init.resourceGroup}/providers/Microsoft.Logic/workflows/${init.name}`;
    const workflow: SimWorkflow = {
      plan: init.plan,
      id,
      subscriptionId: init.subscriptionId,
      resourceGroup: init.resourceGroup,
      ...(init.site !== undefined ? { site: init.site } : {}),
      name: init.name,
      location: normaliseLocation(init.location),
      tags: { ...init.tags },
      state: init.state,
      createdTime: now,
      changedTime: now,
      version: '',
      versions: new Set(),
      definition: structuredClone(init.definition),
      parameters: structuredClone(init.parameters),
      extraProperties: structuredClone(init.extraProperties),
      ...(init.identity ? { identity: structuredClone(init.identity) } : {}),
      triggers: readTriggers(init.definition, `${where}.definition`),
      triggerStates: new Map(),
      runtimeId: randomBytes(16).toString('hex'),
      enabledSince: now,
      recurrenceCursors: new Map(),
      runs: [],
    };
    this.bumpVersion(workflow);
    return workflow;
  }

  private setState(wf: SimWorkflow, state: SimWorkflowState, cause: StateChangeCause): void {
    const from = wf.state;
    wf.state = state;
    this.logStateChange(wf, from, state, cause);
    if (state === 'Enabled') {
      // Re-enabling starts the schedule from now: slots missed while disabled are not back-filled.
      wf.enabledSince = this.options.clock.now();
      wf.recurrenceCursors.clear();
      this.fireWorkflow(wf, wf.enabledSince);
    }
  }

  private logStateChange(
    wf: SimWorkflow,
    from: StateChange['from'],
    to: StateChange['to'],
    cause: StateChangeCause,
  ): void {
    this.seq += 1;
    this.stateChanges.push({
      seq: this.seq,
      workflowId: wf.id,
      workflowName: wf.name,
      plan: wf.plan,
      region: wf.location,
      from,
      to,
      cause,
      virtualTime: this.options.clock.now().toISOString(),
      realTime: new Date(this.options.realNow()).toISOString(),
    });
  }

  private bumpVersion(wf: SimWorkflow): void {
    // Real versions are 20-digit numbers that decrease over time (reversed ticks); imitate the shape.
    this.versionCounter += 1n;
    wf.version = (8586677515911718341n - this.versionCounter * 1000n).toString().padStart(20, '0');
    wf.versions.add(wf.version);
    wf.changedTime = this.options.clock.now();
  }

  private nextRunName(): string {
    this.runCounter += 1n;
    const ticks = (8586676746934337772n - this.runCounter * 1000n).toString().padStart(20, '0');
    return `${ticks}${(206998657n + this.runCounter).toString().slice(-9)}CU${(this.runCounter % 100n).toString().padStart(2, '0')}`;
  }
}

interface WorkflowInit {
  plan: SimPlan;
  subscriptionId: string;
  resourceGroup: string;
  site?: string;
  name: string;
  location: string;
  state: SimWorkflowState;
  definition: JsonObject;
  parameters: JsonObject;
  tags: Record<string, string>;
  extraProperties: JsonObject;
  identity?: JsonObject;
}

function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new ArmError(400, 'InvalidRequestContent', "The 'tags' must be an object of string values.");
  }
  return { ...(value as Record<string, string>) };
}

/** Reads triggers from a definition; Recurrence/SlidingWindow schedules are parsed by the core evaluator. */
export function readTriggers(definition: JsonObject, where: string): SimTrigger[] {
  const triggers = definition.triggers;
  if (triggers === undefined) return [];
  if (!isObject(triggers)) {
    throw new ArmError(
      400,
      'InvalidTemplate',
      `The template validation failed: '${where}.triggers' must be an object.`,
    );
  }
  return Object.entries(triggers).map(([name, raw]) => {
    if (!isObject(raw) || typeof raw.type !== 'string') {
      throw new ArmError(
        400,
        'InvalidTemplate',
        `The template validation failed: trigger '${name}' at '${where}.triggers.${name}' must be an object with a string 'type'.`,
      );
    }
    const trigger: SimTrigger = { name, type: raw.type };
    if (typeof raw.kind === 'string') trigger.kind = raw.kind;
    if (isObject(raw.recurrence)) trigger.rawRecurrence = raw.recurrence;
    if (isObject(raw.inputs) && typeof raw.inputs.method === 'string')
      trigger.method = raw.inputs.method.toUpperCase();
    if (SCHEDULED_TRIGGER_TYPES.has(raw.type.toLowerCase())) {
      try {
        trigger.recurrence = parseRecurrence(raw.recurrence, `${where}.triggers.${name}.recurrence`);
      } catch (error) {
        throw new ArmError(
          400,
          'InvalidTemplate',
          `The template validation failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return trigger;
  });
}

/** The first `Response` action in a definition (searching nested scopes), if any. */
export function findResponseAction(definition: JsonObject): JsonObject | undefined {
  const visit = (actions: unknown): JsonObject | undefined => {
    if (!isObject(actions)) return undefined;
    for (const action of Object.values(actions)) {
      if (!isObject(action)) continue;
      if (typeof action.type === 'string' && action.type.toLowerCase() === 'response') return action;
      const nested =
        visit(action.actions) ?? (isObject(action.else) ? visit(action.else.actions) : undefined);
      if (nested) return nested;
    }
    return undefined;
  };
  return visit(definition.actions);
}

/** ARM's answer for a resource that is not there, worded as the service words it. */
function resourceNotFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found.`,
  );
}
