/**
 * RouterControl over Azure Resource Manager with the real SDKs: @azure/arm-apimanagement (2024-05-01),
 * @azure/arm-cdn (Front Door Standard/Premium, 2024-02-01) and @azure/arm-trafficmanager (2022-04-01), built
 * like the Logic Apps clients (same pooled agent, throttle, deadline, retries and error classification).
 */
import { ApiManagementClient } from '@azure/arm-apimanagement';
import { CdnManagementClient } from '@azure/arm-cdn';
import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import { armClientKit, callArm, type ArmConnection } from '../arm/clients';
import { ArmTerminalError } from '../arm/errors';
import { callbackQuery, type CallbackParts, type RouterReading, type RouterTarget } from '../../core/routers';
import type { RegionName } from '../../core/planner';
import type { Router } from '../../plan/schema';
import type { RouterControl } from './port';

const refused = (message: string, target: string) =>
  new ArmTerminalError(message, { operation: 'switch router', target }, undefined, 'RouterNotSwitchable');

type Apim = Extract<Router, { apiManagement: unknown }>['apiManagement'];

const NAMED_VALUE_REF = /^\{\{([^}]+)\}\}$/;
const firstOf = (query: Record<string, string[]> | undefined) =>
  Object.fromEntries(Object.entries(query ?? {}).map(([k, v]) => [k, v[0] ?? '']));

export function createArmRouterControl(connection: ArmConnection): RouterControl {
  const { options, perSubscription } = armClientKit(connection);
  const apim = perSubscription((sub) => new ApiManagementClient(connection.credential, sub, options()));
  const cdn = perSubscription((sub) => new CdnManagementClient(connection.credential, sub, options()));
  const tm = perSubscription(
    (sub) => new TrafficManagerManagementClient(connection.credential, sub, options()),
  );

  /** A named value's secret value; undefined when it does not exist yet (the switch creates it). */
  const namedValueIfAny = (a: Apim, name: string, label: string) =>
    callArm('read named value', label, async () => {
      const { value } = await apim(a.subscriptionId).namedValue.listValue(a.resourceGroup, a.service, name);
      return value;
    }).catch((err: unknown) => {
      if (err instanceof ArmTerminalError && err.status === 404) return undefined;
      throw err;
    });

  /** APIM: the backend's (or API's) url, the query it adds, and the sig it sends (named values resolved). */
  const readApim = async (a: Apim, target: RouterTarget): Promise<RouterReading> => {
    const label = target.label;
    const client = apim(a.subscriptionId);
    const service = await callArm('read API Management service', label, () =>
      client.apiManagementService.get(a.resourceGroup, a.service),
    );
    const locations = [service.location, ...(service.additionalLocations ?? []).map((l) => l.location)];
    let url: string | undefined;
    let query: Record<string, string> = {};
    let signature: string | undefined;
    if (a.backend !== undefined) {
      const backend = await callArm('read backend', label, () =>
        client.backend.get(a.resourceGroup, a.service, a.backend!),
      );
      url = backend.url;
      const { sig, ...rest } = firstOf(backend.credentials?.query);
      query = rest;
      const ref = sig !== undefined ? NAMED_VALUE_REF.exec(sig) : null;
      signature = ref ? await namedValueIfAny(a, ref[1]!, label) : sig;
    } else {
      const api = await callArm('read API', label, () => client.api.get(a.resourceGroup, a.service, a.api!));
      if (api.serviceUrl) {
        const parsed = new URL(api.serviceUrl);
        query = Object.fromEntries(parsed.searchParams);
        url = `${parsed.origin}${parsed.pathname}`;
      }
    }
    const names = target.sigNamedValues;
    const signatureByRegion =
      a.api !== undefined && names
        ? {
            primary: await namedValueIfAny(a, names.primary, label),
            secondary: await namedValueIfAny(a, names.secondary, label),
          }
        : undefined;
    return {
      kind: 'apiManagement',
      ...(url ? { url } : {}),
      query,
      ...(signature ? { signature } : {}),
      ...(signatureByRegion ? { signatureByRegion } : {}),
      locations,
    };
  };

  const readFrontDoor = async (
    f: Extract<Router, { frontDoor: unknown }>['frontDoor'],
    target: RouterTarget,
  ) => {
    const endpoints: Extract<RouterReading, { kind: 'frontDoor' | 'trafficManager' }>['endpoints'] = {};
    await callArm('read origin group', target.label, async () => {
      for await (const origin of cdn(f.subscriptionId).afdOrigins.listByOriginGroup(
        f.resourceGroup,
        f.profile,
        f.originGroup,
      )) {
        endpoints[origin.name!] = {
          enabled: origin.enabledState !== 'Disabled',
          ...(origin.priority != null ? { priority: origin.priority } : {}),
        };
      }
    });
    return { kind: 'frontDoor' as const, endpoints };
  };

  const readTrafficManager = async (
    t: Extract<Router, { trafficManager: unknown }>['trafficManager'],
    target: RouterTarget,
  ) => {
    const profile = await callArm('read Traffic Manager profile', target.label, () =>
      tm(t.subscriptionId).profiles.get(t.resourceGroup, t.profile),
    );
    const endpoints: Extract<RouterReading, { kind: 'frontDoor' | 'trafficManager' }>['endpoints'] = {};
    for (const e of profile.endpoints ?? []) {
      if (!e.name || !e.type?.toLowerCase().endsWith(`/${t.endpointType.toLowerCase()}`)) continue;
      endpoints[e.name] = {
        enabled: e.endpointStatus !== 'Disabled',
        ...(e.priority != null ? { priority: e.priority } : {}),
        ...(e.endpointLocation ? { location: e.endpointLocation } : {}),
      };
    }
    return {
      kind: 'trafficManager' as const,
      endpoints,
      ...(profile.trafficRoutingMethod ? { routingMethod: profile.trafficRoutingMethod } : {}),
    };
  };

  const read: RouterControl['read'] = (router, target) =>
    'apiManagement' in router
      ? readApim(router.apiManagement, target)
      : 'frontDoor' in router
        ? readFrontDoor(router.frontDoor, target)
        : readTrafficManager(router.trafficManager, target);

  /**
   * APIM: the sig into the named value of the region switched to (nothing refers to it before this switch), then
   * the url and the reference (or the API's serviceUrl, whose host the policy picks the named value by) in one
   * write: a call is sent with one region's url and sig, or the other's, never a mix.
   */
  const switchApim = async (
    a: Apim,
    target: RouterTarget,
    to: RegionName,
    callback: CallbackParts,
  ): Promise<boolean> => {
    const label = target.label;
    const client = apim(a.subscriptionId);
    const sig = callback.queries.sig;
    if (sig === undefined) throw refused(`the callback URL has no sig`, label);
    if (typeof a.signature === 'object' && !target.sigNamedValues)
      throw refused('its signature names no named value for each region (the plan rules refuse it)', label);
    let changed = false;
    const query = callbackQuery(callback);
    const name = target.sigNamedValues?.[to];
    if (name !== undefined && (await namedValueIfAny(a, name, label)) !== sig) {
      await callArm('write named value', label, () =>
        client.namedValue.beginCreateOrUpdateAndWait(a.resourceGroup, a.service, name, {
          displayName: name,
          value: sig,
          secret: true,
        }),
      );
      changed = true;
    }
    const sigQuery = name !== undefined ? `{{${name}}}` : sig;
    if (a.backend !== undefined) {
      const backend = await callArm('read backend', label, () =>
        client.backend.get(a.resourceGroup, a.service, a.backend!),
      );
      const wanted = {
        ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
        sig: [sigQuery],
      };
      const have = backend.credentials?.query ?? {};
      const same =
        backend.url === callback.basePath &&
        Object.keys(wanted).length === Object.keys(have).length &&
        Object.entries(wanted).every(([k, v]) => have[k]?.length === 1 && have[k][0] === v[0]);
      if (!same) {
        // If-Match: the backend as just read; a write by someone else in between fails (412) and is retried.
        await callArm('write backend', label, () =>
          client.backend.update(a.resourceGroup, a.service, a.backend!, backend.eTag ?? '*', {
            url: callback.basePath,
            credentials: { ...backend.credentials, query: wanted },
          }),
        );
        changed = true;
      }
    } else {
      const api = await callArm('read API', label, () => client.api.get(a.resourceGroup, a.service, a.api!));
      const serviceUrl = `${callback.basePath}?${new URLSearchParams(query).toString()}`;
      if (api.serviceUrl !== serviceUrl) {
        await callArm('write API serviceUrl', label, () =>
          client.api.update(a.resourceGroup, a.service, a.api!, api.eTag ?? '*', { serviceUrl }),
        );
        changed = true;
      }
    }
    return changed;
  };

  const switchTo: RouterControl['switchTo'] = async (router, target, to: RegionName, callback) => {
    if ('apiManagement' in router) {
      if (!callback) throw refused('an API Management switch needs the callback URL', target.label);
      return { changed: await switchApim(router.apiManagement, target, to, callback) };
    }
    const names = target.endpoints;
    if (!names) throw refused('its endpoints do not map to the two regions', target.label);
    const other: RegionName = to === 'primary' ? 'secondary' : 'primary';
    // The region taking the calls first, then the other: there is never a moment with no endpoint enabled.
    const writes = [
      { name: names[to], enabled: true, priority: 1 },
      { name: names[other], enabled: false, priority: 2 },
    ];
    // One read and at most one write per endpoint, in that order; `changed` if any endpoint was written.
    const applyInOrder = async <T>(
      read: (name: string) => Promise<T>,
      isSet: (current: T, w: (typeof writes)[number]) => boolean,
      write: (name: string, w: (typeof writes)[number]) => Promise<unknown>,
    ) => {
      let changed = false;
      for (const w of writes) {
        if (isSet(await read(w.name), w)) continue;
        await write(w.name, w);
        changed = true;
      }
      return { changed };
    };
    const stateOf = (enabled: boolean) => (enabled ? 'Enabled' : 'Disabled');
    if ('frontDoor' in router) {
      const f = router.frontDoor;
      const client = cdn(f.subscriptionId).afdOrigins;
      return applyInOrder(
        (name) =>
          callArm('read origin', target.label, () =>
            client.get(f.resourceGroup, f.profile, f.originGroup, name),
          ),
        (origin, w) => origin.enabledState === stateOf(w.enabled) && origin.priority === w.priority,
        (name, w) =>
          callArm('write origin', target.label, () =>
            client.beginUpdateAndWait(f.resourceGroup, f.profile, f.originGroup, name, {
              enabledState: stateOf(w.enabled),
              priority: w.priority,
            }),
          ),
      );
    }
    // Traffic Manager: only endpointStatus (Priority routing keeps each endpoint's own, distinct priority).
    const t = router.trafficManager;
    const client = tm(t.subscriptionId).endpoints;
    return applyInOrder(
      (name) =>
        callArm('read endpoint', target.label, () =>
          client.get(t.resourceGroup, t.profile, t.endpointType, name),
        ),
      (endpoint, w) => endpoint.endpointStatus === stateOf(w.enabled),
      (name, w) =>
        callArm('write endpoint', target.label, () =>
          client.update(t.resourceGroup, t.profile, t.endpointType, name, {
            endpointStatus: stateOf(w.enabled),
          }),
        ),
    );
  };

  return { read, switchTo };
}
