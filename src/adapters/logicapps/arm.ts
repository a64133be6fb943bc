/**
 * LogicAppsControl over Azure Resource Manager: consumption workflows through @azure/arm-logic, Logic Apps
 * Standard workflow state through the site's app setting `Workflows.<name>.FlowState` (@azure/arm-appservice).
 */
import { LogicManagementClient, type Workflow } from '@azure/arm-logic';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'node:https';
import { hasLinkedResources, linkedResourcesOf, type LinkedResources } from '../../core/linked-resources';
import { ArmConcurrencyError, ArmTerminalError, classifyArmError } from '../arm/errors';
import type { ArmThrottle } from '../arm/throttle';
import { armTimeoutPolicy, DEFAULT_ARM_TIMEOUT_MS } from '../arm/timeout';
import {
  locatorLabel,
  type ListedWorkflow,
  type LogicAppsControl,
  type ResourceGroupScope,
  type SiteScope,
  type RunInfo,
  type TriggerInfo,
  type WorkflowInfo,
  type WorkflowLocator,
  type WorkflowState,
} from './port';

export interface ArmConnection {
  credential: TokenCredential;
  /** ARM endpoint; default public cloud. Sovereign clouds and the simulator set their own. */
  endpoint?: string;
  /** Needed whenever the endpoint is not the public cloud's (the token audience stays ARM's). */
  credentialScopes?: string[];
  /**
   * The connection pool of every SDK client made from this connection (createArmAgent: keep-alive, one TLS
   * context, bounded; it also carries a private CA's trust for the simulator). Without one each client keeps
   * its own pool, as the SDK does by default.
   */
  agent?: Agent;
  throttle?: ArmThrottle;
  /** SDK retry budget for 429/5xx before our own (orchestration-level) retries take over. */
  maxRetries?: number;
  /** Deadline of one request attempt (default 15 s); a request that times out counts as ARM unreachable. */
  timeoutMs?: number;
}

type Consumption = Extract<WorkflowLocator, { name: string }>;
type Standard = Extract<WorkflowLocator, { site: string }>;

const isStandard = (t: WorkflowLocator): t is Standard => 'site' in t;

/** Serialises read-modify-write of one site's app settings: parallel fan-out must not lose an update. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    // The tail only orders writes to one key; the caller gets the failure through `result`.
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export function createArmLogicAppsControl(connection: ArmConnection): LogicAppsControl {
  const siteLocks = new KeyedMutex();

  const options = () => ({
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentialScopes ? { credentialScopes: connection.credentialScopes } : {}),
    ...(connection.agent ? { agent: connection.agent } : {}),
    retryOptions: { maxRetries: connection.maxRetries ?? 2 },
  });
  const timeoutMs = connection.timeoutMs ?? DEFAULT_ARM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`ArmConnection.timeoutMs must be a number of ms > 0, got ${String(timeoutMs)}`);
  }
  const timeout = armTimeoutPolicy(timeoutMs);
  const withPolicies = <C extends { pipeline: { addPolicy(p: unknown, o?: unknown): void } }>(
    client: C,
  ): C => {
    if (connection.throttle) client.pipeline.addPolicy(connection.throttle.policy(), { afterPhase: 'Retry' });
    // After signing: the deadline covers the HTTP exchange, not a wait for a throttle token.
    client.pipeline.addPolicy(timeout, { afterPhase: 'Sign' });
    return client;
  };
  /** One SDK client per subscription and kind, created on first use (they share the throttle). */
  const perSubscription = <C extends { pipeline: { addPolicy(p: unknown, o?: unknown): void } }>(
    make: (subscriptionId: string) => C,
  ) => {
    const clients = new Map<string, C>();
    return (subscriptionId: string): C => {
      let c = clients.get(subscriptionId);
      if (!c) {
        c = withPolicies(make(subscriptionId));
        clients.set(subscriptionId, c);
      }
      return c;
    };
  };
  const logic = perSubscription((sub) => new LogicManagementClient(connection.credential, sub, options()));
  const web = perSubscription((sub) => new WebSiteManagementClient(connection.credential, sub, options()));

  const call = async <T>(
    operation: string,
    target: WorkflowLocator | string,
    fn: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ArmConcurrencyError) throw err;
      throw classifyArmError(err, {
        operation,
        target: typeof target === 'string' ? target : locatorLabel(target),
      });
    }
  };

  const flowStateKey = (workflow: string) => `Workflows.${workflow}.FlowState`;
  const siteLabel = (s: SiteScope) => s.label ?? `${s.resourceGroup}/${s.site}`;
  const siteKey = (s: SiteScope) => `${s.subscriptionId}/${s.resourceGroup}/${s.site}`.toLowerCase();
  // An absent setting means the workflow runs: Standard workflows are enabled unless disabled explicitly.
  const flowStateOf = (settings: Record<string, string>, workflow: string) =>
    settings[flowStateKey(workflow)] === 'Disabled' ? 'Disabled' : 'Enabled';

  const readSettings = (s: SiteScope, label: WorkflowLocator | string = siteLabel(s)) =>
    call(
      'read app settings',
      label,
      async () =>
        (await web(s.subscriptionId).webApps.listApplicationSettings(s.resourceGroup, s.site)).properties ??
        {},
    );

  /** One read-modify-write of a site's app settings for any number of workflows; no write when none changes. */
  const writeSiteStates = (
    s: SiteScope,
    states: Readonly<Record<string, 'Enabled' | 'Disabled'>>,
    label: WorkflowLocator | string = siteLabel(s),
  ) =>
    siteLocks.run(siteKey(s), async () => {
      const settings = await readSettings(s, label);
      const changed = Object.entries(states)
        .filter(([workflow, state]) => flowStateOf(settings, workflow) !== state)
        .map(([workflow]) => workflow);
      if (changed.length === 0) return { changed };
      const wanted = Object.values(states);
      const operation = wanted.every((st) => st === 'Enabled')
        ? 'enable'
        : wanted.every((st) => st === 'Disabled')
          ? 'disable'
          : 'set flow states';
      await call(operation, label, () =>
        web(s.subscriptionId).webApps.updateApplicationSettings(s.resourceGroup, s.site, {
          properties: {
            ...settings,
            ...Object.fromEntries(changed.map((workflow) => [flowStateKey(workflow), states[workflow]!])),
          },
        }),
      );
      return { changed };
    });

  const revisionOf = (w: Workflow) => `${w.changedTime?.toISOString() ?? ''}/${w.version ?? ''}`;

  const toInfo = (w: Workflow): WorkflowInfo => ({
    id: w.id ?? '',
    revision: revisionOf(w),
    location: w.location ?? '',
    state: (w.state ?? 'NotSpecified') as WorkflowState,
    ...(w.definition ? { definition: w.definition as Record<string, unknown> } : {}),
    ...(w.parameters ? { parameters: w.parameters } : {}),
    ...(w.changedTime ? { changedTime: w.changedTime.toISOString() } : {}),
    ...(w.version ? { version: w.version } : {}),
    ...(w.integrationAccount?.id ? { integrationAccountId: w.integrationAccount.id } : {}),
    ...linkedOf(w),
  });

  const linkedOf = (w: Workflow): { linked?: LinkedResources } => {
    const linked = linkedResourcesOf({
      parameters: w.parameters,
      identity: w.identity,
      integrationAccountId: w.integrationAccount?.id,
    });
    return hasLinkedResources(linked) ? { linked } : {};
  };

  const getConsumption = (t: Consumption) =>
    call('get', t, async () => toInfo(await logic(t.subscriptionId).workflows.get(t.resourceGroup, t.name)));

  const readSite = async (s: SiteScope, workflows: readonly string[], label: WorkflowLocator | string) => {
    const site = await call('get site', label, () =>
      web(s.subscriptionId).webApps.get(s.resourceGroup, s.site),
    );
    const settings = await readSettings(s, label);
    return new Map(
      workflows.map((workflow): [string, WorkflowInfo] => {
        const state = flowStateOf(settings, workflow);
        return [
          workflow,
          {
            id: `${site.id ?? ''}/workflows/${workflow}`,
            location: site.location,
            state,
            revision: `${state}`,
          },
        ];
      }),
    );
  };

  const getStandard = async (t: Standard): Promise<WorkflowInfo> =>
    (await readSite(t, [t.workflow], t)).get(t.workflow)!;

  async function* listWorkflows(
    scope: ResourceGroupScope,
    opts: { top?: number } = {},
  ): AsyncGenerator<ListedWorkflow[]> {
    const label = scope.label ?? `${scope.resourceGroup} (list)`;
    const pages = logic(scope.subscriptionId)
      .workflows.listByResourceGroup(scope.resourceGroup, opts.top !== undefined ? { top: opts.top } : {})
      .byPage();
    for (;;) {
      const page = await call('list workflows', label, () => pages.next());
      if (page.done) return;
      yield page.value.map((w) => ({ name: w.name ?? w.id?.split('/').pop() ?? '', info: toInfo(w) }));
    }
  }

  return {
    getWorkflow: (t) => (isStandard(t) ? getStandard(t) : getConsumption(t)),

    listWorkflows,

    getSiteWorkflows: (s, workflows) => readSite(s, [...new Set(workflows)], siteLabel(s)),

    setSiteStates: (s, states) => writeSiteStates(s, states),

    async setState(t, state, opts = {}) {
      if (isStandard(t)) {
        const { changed } = await writeSiteStates(t, { [t.workflow]: state }, t);
        return { changed: changed.length > 0 };
      }
      const skipRead = opts.knownState !== undefined && opts.knownState !== state;
      if (!skipRead && (await getConsumption(t)).state === state) return { changed: false };
      await call(state === 'Enabled' ? 'enable' : 'disable', t, () =>
        state === 'Enabled'
          ? logic(t.subscriptionId).workflows.enable(t.resourceGroup, t.name)
          : logic(t.subscriptionId).workflows.disable(t.resourceGroup, t.name),
      );
      return { changed: true };
    },

    async setRecurrence(t, recurrence, opts = {}) {
      if (isStandard(t)) {
        throw new ArmTerminalError(
          'rewriting a Recurrence is supported for consumption workflows only; use the twin scheme for Standard',
          { operation: 'set recurrence', target: locatorLabel(t) },
          undefined,
          'UnsupportedForStandard',
        );
      }
      const client = logic(t.subscriptionId);
      const label = locatorLabel(t);
      const read = await call('set recurrence (read)', t, () =>
        client.workflows.get(t.resourceGroup, t.name),
      );
      const definition = structuredClone(read.definition ?? {}) as {
        triggers?: Record<string, { type?: string; recurrence?: unknown }>;
      };
      const triggers = definition.triggers ?? {};
      const recurrenceTriggers = Object.entries(triggers).filter(
        ([, tr]) => tr.recurrence !== undefined && /^(Recurrence|SlidingWindow)$/i.test(tr.type ?? ''),
      );
      const name =
        opts.triggerName ?? (recurrenceTriggers.length === 1 ? recurrenceTriggers[0]![0] : undefined);
      const trigger = name ? triggers[name] : undefined;
      // Already as wanted: no write, so nothing to overwrite. This also keeps a retry after our own PUT (whose
      // answer was lost) idempotent, although that PUT moved the revision on.
      if (trigger && JSON.stringify(trigger.recurrence) === JSON.stringify(recurrence))
        return { changed: false };
      if (opts.basedOn && revisionOf(read) !== opts.basedOn) {
        throw new ArmConcurrencyError(
          `workflow changed since it was read (revision ${opts.basedOn}, now ${revisionOf(read)})`,
          { operation: 'set recurrence', target: label },
          undefined,
          'WorkflowChanged',
        );
      }
      if (!name || !trigger) {
        throw new ArmTerminalError(
          name
            ? `trigger "${name}" not found`
            : `expected exactly one Recurrence trigger, found ${recurrenceTriggers.length}: name it with triggerName`,
          { operation: 'set recurrence', target: label },
          undefined,
          'TriggerNotFound',
        );
      }
      trigger.recurrence = recurrence;
      // ARM workflows carry no ETag: the caller's `basedOn` revision (checked above) and this read leave one PUT
      // round trip as the window for a concurrent change. A second GET here would not narrow it, only add a read.
      const body: Workflow = {
        location: read.location,
        ...(read.tags ? { tags: read.tags } : {}),
        ...(read.identity ? { identity: read.identity } : {}),
        state: read.state,
        definition,
        ...(read.parameters ? { parameters: read.parameters } : {}),
        ...(read.integrationAccount ? { integrationAccount: read.integrationAccount } : {}),
        ...(read.integrationServiceEnvironment
          ? { integrationServiceEnvironment: read.integrationServiceEnvironment }
          : {}),
        ...(read.accessControl ? { accessControl: read.accessControl } : {}),
        ...(read.endpointsConfiguration ? { endpointsConfiguration: read.endpointsConfiguration } : {}),
      };
      await call('set recurrence', t, () => client.workflows.createOrUpdate(t.resourceGroup, t.name, body));
      return { changed: true };
    },

    async listTriggers(t) {
      if (isStandard(t)) return [];
      return call('list triggers', t, async () => {
        const out: TriggerInfo[] = [];
        for await (const tr of logic(t.subscriptionId).workflowTriggers.list(t.resourceGroup, t.name)) {
          out.push({
            name: tr.name ?? '',
            ...(tr.state ? { state: tr.state } : {}),
            ...(tr.recurrence ? { recurrence: tr.recurrence } : {}),
          });
        }
        return out;
      });
    },

    async getCallbackUrl(t, trigger) {
      if (isStandard(t)) {
        throw new ArmTerminalError(
          'callback URLs of Standard workflows are not supported yet; use healthCheck.urlSetting',
          { operation: 'list callback url', target: locatorLabel(t) },
          undefined,
          'UnsupportedForStandard',
        );
      }
      const result = await call('list callback url', t, () =>
        logic(t.subscriptionId).workflowTriggers.listCallbackUrl(t.resourceGroup, t.name, trigger),
      );
      if (!result.value) {
        throw new ArmTerminalError(
          `trigger "${trigger}" returned no callback URL`,
          { operation: 'list callback url', target: locatorLabel(t) },
          undefined,
          'NoCallbackUrl',
        );
      }
      return result.value;
    },

    async listRunningRuns(t) {
      if (isStandard(t)) return [];
      return call('list runs', t, async () => {
        const out: RunInfo[] = [];
        for await (const run of logic(t.subscriptionId).workflowRuns.list(t.resourceGroup, t.name, {
          filter: "status eq 'Running'",
        })) {
          if (run.status !== 'Running') continue; // Defensive: a service that ignores $filter must not inflate the report.
          out.push({
            name: run.name ?? '',
            status: run.status,
            ...(run.startTime ? { startTime: run.startTime.toISOString() } : {}),
            ...(run.trigger?.name ? { trigger: run.trigger.name } : {}),
          });
        }
        return out;
      });
    },
  };
}
