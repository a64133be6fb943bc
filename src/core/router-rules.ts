/**
 * The plan rules about routers: a Request entry that fails over needs one (else callers keep calling the
 * primary), and a router must map onto the entry's two regions. Pure, like the other plan rules.
 */
import type { WorkflowEntry } from '../plan/schema';
import {
  checkPlanParts,
  normaliseLocation,
  sideRefs,
  type RuleFindings,
  type PlanIssue,
  type PlanParts,
  type PlanRegions,
  type TriggerLookup,
} from './plan-rules';
import { routerTarget } from './routers';

type Finding = (
  index: number,
  entry: WorkflowEntry,
  rest: (string | number)[],
  rule: string,
  message: string,
  fix: string,
) => void;

const finding =
  (to: (i: PlanIssue) => void): Finding =>
  (index, entry, rest, rule, message, fix) =>
    to({
      path: ['workflows', index, ...rest],
      entry: entry.name,
      rule,
      message: `workflow "${entry.name}": ${message}`,
      fix,
    });

/** The trigger kind the plan knows for an entry: declared, or every trigger its definition has. */
function knownKind(entry: WorkflowEntry, index: number, triggersOf: TriggerLookup): string | undefined {
  if (entry.trigger !== undefined) return entry.trigger;
  const kinds = new Set(triggersOf(entry, index)?.triggers.map((t) => t.kind) ?? []);
  return kinds.size === 1 ? [...kinds][0] : kinds.size > 1 ? 'mixed' : undefined;
}

/** API Management's rule for a named value's name (the switch gives it as the displayName too). */
const NAMED_VALUE_NAME = /^[A-Za-z0-9-._]{1,256}$/;

/**
 * A map keyed by the plan's two locations (Front Door origins, Traffic Manager endpoints, APIM sig named values):
 * exactly those two, each naming a different thing, or a switch could not move calls between the regions.
 */
function checkRegionMap(
  names: Record<string, string>,
  field: (string | number)[],
  noun: string,
  regions: PlanRegions,
  /** What naming the same one twice would break. */
  twice: string,
  refuse: (rest: (string | number)[], message: string, fix: string) => void,
): void {
  const wanted = [regions.primary.location, regions.secondary.location];
  const keys = Object.keys(names);
  const extra = keys.filter((k) => !wanted.some((w) => normaliseLocation(w) === normaliseLocation(k)));
  const missing = wanted.filter((w) => !keys.some((k) => normaliseLocation(w) === normaliseLocation(k)));
  const values = Object.values(names);
  if (extra.length || missing.length || keys.length !== 2)
    refuse(
      field,
      `its router's ${noun}s do not map to the entry's two regions (${wanted.join(', ')}): ${[
        ...(missing.length ? [`none for ${missing.join(', ')}`] : []),
        ...(extra.length ? [`${extra.join(', ')} is neither region`] : []),
        ...(!missing.length && !extra.length ? ['a region is named twice'] : []),
      ].join('; ')}`,
      `key one ${noun} by each plan location, e.g. { "${wanted[0]}": "orders-${normaliseLocation(wanted[0]!)}", "${wanted[1]}": "orders-${normaliseLocation(wanted[1]!)}" }`,
    );
  else if (new Set(values.map((v) => v.toLowerCase())).size !== values.length)
    refuse(
      field,
      `its router names the same ${noun} "${values[0]}" for both regions: ${twice}`,
      `name the ${noun} of each region`,
    );
}

export function checkRouters(
  workflows: PlanParts['workflows'],
  regions: PlanRegions | undefined,
  triggersOf: TriggerLookup,
  add: (i: PlanIssue) => void,
  warn: (i: PlanIssue) => void,
): void {
  const issue = finding(add);
  const switchedBy = new Map<string, string>();
  workflows.forEach((entry, index) => {
    if (!entry) return;
    const kind = knownKind(entry, index, triggersOf);
    const router = entry.router;
    if (!router) {
      if (entry.role === 'active-passive' && kind === 'request')
        finding(warn)(
          index,
          entry,
          [],
          'request-without-router',
          'its Request trigger fails over with no router in front of it: a failover enables the secondary workflow, but callers keep calling the primary’s callback URL, so nothing reaches the secondary',
          'add "router" (apiManagement, frontDoor or trafficManager) naming what callers reach the workflow through; see docs/router.md',
        );
      return;
    }
    if (entry.role === 'split-recurrence' || (kind !== undefined && kind !== 'request'))
      issue(
        index,
        entry,
        ['router'],
        'router-needs-request',
        `a router sends calls to a Request trigger, but this entry is ${entry.role === 'split-recurrence' ? 'split-recurrence' : `triggered by ${kind}`}`,
        'remove "router", or put it on the entry of the Request-triggered workflow callers call',
      );
    if ('apiManagement' in router) {
      const a = router.apiManagement;
      if ((a.backend === undefined) === (a.api === undefined))
        issue(
          index,
          entry,
          ['router', 'apiManagement'],
          'router-target',
          a.backend === undefined
            ? 'apiManagement names neither a backend nor an api to switch'
            : 'apiManagement names both a backend and an api: the switch writes exactly one',
          'give "backend" (its url and credentials are switched) or "api" (its serviceUrl is switched)',
        );
      const sigField = ['router', 'apiManagement', 'signature'];
      // The fix both refusals give: one named value per plan location (and, for an API, the policy that picks it).
      const locations = [
        regions?.primary.location ?? 'westeurope',
        regions?.secondary.location ?? 'northeurope',
      ];
      const perRegion = locations.map(
        (l) => `"${l}": "${a.backend ?? a.api ?? 'orders'}-sig-${normaliseLocation(l)}"`,
      );
      const namedValuesFix = `"signature": { "namedValues": { ${perRegion.join(', ')} } }${
        a.api !== undefined
          ? ', and in the API’s inbound policy add the sig of the region the serviceUrl’s host is in (docs/router.md gives the <choose> policy)'
          : ''
      }`;
      if (a.api !== undefined && a.signature === 'backend-credentials')
        issue(
          index,
          entry,
          sigField,
          'router-target',
          'an API’s serviceUrl cannot carry the callback URL’s signature, and a URL with its sig in it would be readable by anyone who can read the API',
          `keep each region's sig in its own secret named value: ${namedValuesFix}`,
        );
      if (typeof a.signature === 'object' && 'namedValue' in a.signature)
        issue(
          index,
          entry,
          [...sigField, 'namedValue'],
          'router-signature',
          `one named value ("${a.signature.namedValue}") holds the sig for both regions: the switch would write it and then the ${a.backend !== undefined ? 'backend’s url' : 'API’s serviceUrl'}, and a call between the two writes carries one region’s sig to the other’s callback URL and is refused 401`,
          `give one secret named value per region (the switch writes the new region’s, then the url and the reference to it in one write): ${namedValuesFix}`,
        );
      const names = typeof a.signature === 'object' ? a.signature.namedValues : undefined;
      if (names) {
        const field = [...sigField, 'namedValues'];
        if (regions)
          checkRegionMap(
            names,
            field,
            'named value',
            regions,
            'each region needs its own sig',
            (rest, message, fix) => issue(index, entry, rest, 'router-signature', message, fix),
          );
        for (const [location, name] of Object.entries(names))
          if (!NAMED_VALUE_NAME.test(name))
            issue(
              index,
              entry,
              [...field, location],
              'router-signature',
              `named value "${name}" is not a name API Management accepts`,
              'use 1 to 256 letters, digits, period, dash or underscore',
            );
      }
      const standard = (['primary', 'secondary'] as const).some((side) =>
        sideRefs(entry[side]).some((ref) => typeof ref !== 'string'),
      );
      if (standard)
        issue(
          index,
          entry,
          ['router', 'apiManagement'],
          'router-target',
          'an apiManagement router is given the workflow’s callback URL through listCallbackUrl, which this control plane supports for consumption workflows only',
          'front the Logic Apps Standard workflow with frontDoor or trafficManager (its host name does not change), or use a consumption workflow',
        );
    } else if (regions) {
      const frontDoor = 'frontDoor' in router;
      checkRegionMap(
        frontDoor ? router.frontDoor.origins : router.trafficManager.endpoints,
        frontDoor ? ['router', 'frontDoor', 'origins'] : ['router', 'trafficManager', 'endpoints'],
        frontDoor ? 'origin' : 'endpoint',
        regions,
        'a switch could never move calls',
        (rest, message, fix) => issue(index, entry, rest, 'router-regions', message, fix),
      );
    }
    if (!regions) return;
    const target = routerTarget(regions, router);
    const owner = switchedBy.get(target.key);
    if (owner !== undefined)
      issue(
        index,
        entry,
        ['router'],
        'router-switch-shared',
        `its router switches ${target.label}, which ${owner} switches too: entries run in parallel, so one entry's switch would send the other's callers to a workflow that may not be enabled yet`,
        'give each entry its own backend or API (APIM), origin group (Front Door) or profile (Traffic Manager); one APIM service or Front Door profile may front many entries',
      );
    else switchedBy.set(target.key, `workflow "${entry.name}"`);
  });
}

/** The plan rules and the router rules together: what the loader and `dr check` apply. */
export function checkPlanAndRouters(parts: PlanParts, triggersOf: TriggerLookup): RuleFindings {
  const { issues, warnings } = checkPlanParts(parts, triggersOf);
  const regions =
    parts.primary && parts.secondary ? { primary: parts.primary, secondary: parts.secondary } : undefined;
  checkRouters(
    parts.workflows,
    regions,
    triggersOf,
    (i) => issues.push(i),
    (i) => warnings.push(i),
  );
  return { issues, warnings };
}
