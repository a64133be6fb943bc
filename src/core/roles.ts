/**
 * The Logic Apps DR guidance as one table: which roles each trigger kind may play.
 * Shared by the trigger classifier and the plan rules so both always agree.
 */

export const ROLES = ['active-active', 'active-passive', 'split-recurrence'] as const;
export type Role = (typeof ROLES)[number];

export const TRIGGER_KINDS = ['recurrence', 'polling', 'request', 'webhook'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
/** What the classifier may answer: a known kind, or `unknown` when the shape is not recognised. */
export type ClassifiedKind = TriggerKind | 'unknown';

export const STATE_SIDES = ['client', 'server'] as const;
export type StateSide = (typeof STATE_SIDES)[number];

/** Names of the DR rules; an operator's break-glass override names one of these. */
export const DR_RULES = {
  webhookSingleRegion: 'webhook-single-region',
  clientStatePollingSingleRegion: 'client-state-polling-single-region',
  orderedNeedsSessions: 'ordered-consumption-needs-sessions',
  recurrenceNoOverlap: 'recurrence-no-overlap',
  splitNeedsRecurrence: 'split-needs-recurrence',
  pollingNeedsStateSide: 'polling-needs-state-side',
  unknownTrigger: 'unknown-trigger',
} as const;
export type DrRuleName = (typeof DR_RULES)[keyof typeof DR_RULES];

export interface TriggerTraits {
  kind: ClassifiedKind;
  /** For polling triggers: where the "what have I read" state lives. Undefined when not known. */
  stateSide?: StateSide | undefined;
  /** In-order consumption (e.g. Service Bus FIFO). */
  ordered?: boolean | undefined;
  /** The consumer uses Service Bus sessions, which keep order across competing consumers. */
  sessions?: boolean | undefined;
}

export interface RoleVerdict {
  allowed: readonly Role[];
  /** The rule that narrows the roles, when one does. */
  rule?: DrRuleName;
  /** One sentence an operator can act on. */
  reason: string;
}

/** Which roles the DR guidance allows for a trigger with these traits, and why. */
export function allowedRoles(traits: TriggerTraits): RoleVerdict {
  switch (traits.kind) {
    case 'recurrence':
      return {
        allowed: ['active-passive', 'split-recurrence'],
        rule: DR_RULES.recurrenceNoOverlap,
        reason:
          'a Recurrence trigger running in both regions runs every slot twice: use active-passive or a split schedule',
      };
    case 'webhook':
      return {
        allowed: ['active-passive'],
        rule: DR_RULES.webhookSingleRegion,
        reason: 'only one region may hold a webhook subscription at a time',
      };
    case 'request':
      return {
        allowed: ['active-active', 'active-passive'],
        reason:
          'Request triggers are safe in both regions behind a router (Front Door, Traffic Manager, APIM)',
      };
    case 'polling':
      if (traits.stateSide === undefined) {
        return {
          allowed: ['active-passive'],
          rule: DR_RULES.pollingNeedsStateSide,
          reason:
            'a polling trigger whose state side is unknown is treated as client-side state: declare stateSide to allow more',
        };
      }
      if (traits.stateSide === 'client') {
        return {
          allowed: ['active-passive'],
          rule: DR_RULES.clientStatePollingSingleRegion,
          reason:
            'a polling trigger that remembers what it read (client-side state) would read the same items twice from two regions',
        };
      }
      if (traits.ordered && !traits.sessions) {
        return {
          allowed: ['active-passive'],
          rule: DR_RULES.orderedNeedsSessions,
          reason: 'competing consumers in two regions break ordering unless the queue uses sessions',
        };
      }
      return {
        allowed: ['active-active', 'active-passive'],
        reason: 'server-side state (peek-lock) lets both regions consume as competing consumers',
      };
    case 'unknown':
      return {
        allowed: [],
        rule: DR_RULES.unknownTrigger,
        reason:
          'the trigger type is not recognised: declare `trigger` (and `stateSide` for polling) in the plan',
      };
  }
}
