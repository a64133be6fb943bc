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
      if (a.api !== undefined && a.signature === 'backend-credentials')
        issue(
          index,
          entry,
          ['router', 'apiManagement', 'signature'],
          'router-target',
          'an API’s serviceUrl cannot carry the callback URL’s signature, and a URL with its sig in it would be readable by anyone who can read the API',
          'put the sig in a secret named value: "signature": { "namedValue": "<name>" }, and add it in the API’s inbound policy with <set-query-parameter name="sig">{{<name>}}</set-query-parameter>',
        );
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
      const names = 'frontDoor' in router ? router.frontDoor.origins : router.trafficManager.endpoints;
      const field =
        'frontDoor' in router
          ? ['router', 'frontDoor', 'origins']
          : ['router', 'trafficManager', 'endpoints'];
      const wanted = [regions.primary.location, regions.secondary.location];
      const keys = Object.keys(names);
      const extra = keys.filter((k) => !wanted.some((w) => normaliseLocation(w) === normaliseLocation(k)));
      const missing = wanted.filter((w) => !keys.some((k) => normaliseLocation(w) === normaliseLocation(k)));
      const values = Object.values(names);
      if (extra.length || missing.length || keys.length !== 2)
        issue(
          index,
          entry,
          field,
          'router-regions',
          `its router's ${'frontDoor' in router ? 'origins' : 'endpoints'} do not map to the entry's two regions (${wanted.join(', ')}): ${[
            ...(missing.length ? [`none for ${missing.join(', ')}`] : []),
            ...(extra.length ? [`${extra.join(', ')} is neither region`] : []),
            ...(!missing.length && !extra.length ? ['a region is named twice'] : []),
          ].join('; ')}`,
          `key one ${'frontDoor' in router ? 'origin' : 'endpoint'} by each plan location, e.g. { "${wanted[0]}": "orders-${normaliseLocation(wanted[0]!)}", "${wanted[1]}": "orders-${normaliseLocation(wanted[1]!)}" }`,
        );
      else if (new Set(values.map((v) => v.toLowerCase())).size !== values.length)
        issue(
          index,
          entry,
          field,
          'router-regions',
          `its router names the same ${'frontDoor' in router ? 'origin' : 'endpoint'} "${values[0]}" for both regions, so a switch could never move calls`,
          'name the origin or endpoint that reaches each region’s workflow',
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
