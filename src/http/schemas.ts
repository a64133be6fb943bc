/**
 * The HTTP API's shapes as zod schemas: the handlers validate with them and the OpenAPI document is derived
 * from them (`z.toJSONSchema`), so the documentation cannot drift from what is enforced.
 */
import { z } from 'zod';
import { SAFETY_RULES, type SafetyRule } from '../core/safety';
import { plainText } from './redact';

const SAFETY_RULE_NAMES = Object.values(SAFETY_RULES) as [SafetyRule, ...SafetyRule[]];

/**
 * Operator text as the monitor stores it: JSON in a custom status Durable bounds in UTF-16 bytes (16 KB), where
 * a character outside the BMP takes 4 bytes and an escaped one up to 12. So text is bounded in those bytes.
 */
export const textBytes = (text: string): number => (JSON.stringify(text).length - 2) * 2;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one: not Unicode text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why operator text is refused (lone surrogates, too many UTF-16 bytes); undefined when it is fine. */
export function operatorTextProblem(text: string, maxBytes: number): string | undefined {
  if (LONE_SURROGATE.test(text))
    return 'contains a lone surrogate (half of a UTF-16 pair): send well-formed Unicode text';
  const bytes = textBytes(text);
  if (bytes > maxBytes)
    return `is ${bytes} bytes as UTF-16 text; at most ${maxBytes} (${maxBytes / 2} plain characters)`;
  return undefined;
}

/** A reason: 1,000 plain characters, fewer when they are outside the BMP. */
export const MAX_REASON_BYTES = 2_000;
/** A principal's name (UPNs are at most 113 characters, display names 256). */
export const MAX_PRINCIPAL_NAME_BYTES = 512;

const reason = z
  .string()
  // One plain line before it is checked: the reason reaches the audit, the live log and every notification.
  .overwrite(plainText)
  .trim()
  .min(1, { error: 'say why (it goes into the audit record and the notifications)' })
  .max(1000)
  .check((ctx) => {
    const problem = operatorTextProblem(ctx.value, MAX_REASON_BYTES);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  })
  .describe(
    `Why: recorded in the audit record and every notification. At most ${MAX_REASON_BYTES} bytes as UTF-16 text; lone surrogates are refused`,
  );

export const FailoverBodySchema = z
  .strictObject({
    reason,
    kind: z
      .enum(['planned', 'emergency'], { error: 'must be "planned" or "emergency"' })
      .describe('planned: split entries switch just after a slot boundary; emergency: at once'),
    override: z
      .array(
        z.enum(SAFETY_RULE_NAMES, {
          error: `is not a safety rule; known rules: ${SAFETY_RULE_NAMES.join(', ')}`,
        }),
      )
      .max(SAFETY_RULE_NAMES.length)
      .optional()
      .describe('Break-glass: safety rules this failover may break (recorded and notified)'),
    dryRun: z
      .boolean()
      .optional()
      .describe('Only return the what-if plan from the live workflow states; changes nothing'),
  })
  .describe('Manual failover request');

export const FailbackBodySchema = z
  .strictObject({
    reason,
    force: z
      .boolean()
      .optional()
      .describe('Fail back although the primary has not been healthy for the soak time'),
    dryRun: z.boolean().optional().describe('Only return the what-if plan; changes nothing'),
  })
  .describe('Manual failback request');

export const PauseBodySchema = z
  .strictObject({
    reason,
    until: z.iso
      .datetime({
        offset: true,
        error: 'must be an ISO 8601 date-time with a zone, e.g. 2026-03-02T18:00:00Z',
      })
      .describe("End of the pause: in the future and at most the plan's policy.maxPause from now"),
  })
  .describe('Pause automatic failover and failback');

export const CancelBodySchema = z
  .strictObject({ reason })
  .describe(
    'Cancel a running operation: it stops at its next step boundary (a retrying fence gives up, later groups do not run)',
  );

export const ResumeBodySchema = z.strictObject({ reason: reason.optional() }).describe('End a pause early');

/** Operation ids as the monitor makes them (`failover-3-20260302T081500`). */
export const OperationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'is not an operation id' })
  .describe('Operation id, e.g. failover-1-20260302T081500');

const PageLimitSchema = z.coerce
  .number({ error: 'must be a whole number from 1 to 100' })
  .int({ error: 'must be a whole number from 1 to 100' })
  .min(1, { error: 'must be a whole number from 1 to 100' })
  .max(100, { error: 'must be a whole number from 1 to 100' })
  .default(20)
  .describe('Page size, 1-100 (default 20)');

export const HistoryQuerySchema = z.strictObject({
  limit: PageLimitSchema,
  before: OperationIdSchema.optional().describe(
    'Return operations older than this one (the previous page\u2019s nextBefore)',
  ),
});

export const RequestsQuerySchema = z.strictObject({
  limit: PageLimitSchema,
  before: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, { error: 'must be a request id from a previous page' })
    .optional()
    .describe('Return requests older than this one (the previous page\u2019s nextBefore)'),
});

/** Idempotency-Key header: any retry of a POST with the same key gets the first answer, with one effect. */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, { error: 'must be 1-100 letters, digits or . _ : -' });

export type FailoverBody = z.output<typeof FailoverBodySchema>;
export type FailbackBody = z.output<typeof FailbackBodySchema>;
export type PauseBody = z.output<typeof PauseBodySchema>;
export type ResumeBody = z.output<typeof ResumeBodySchema>;
export type CancelBody = z.output<typeof CancelBodySchema>;
export type HistoryQuery = z.output<typeof HistoryQuerySchema>;
export type RequestsQuery = z.output<typeof RequestsQuerySchema>;

// ---- responses (documented, and checked against real responses in the tests) -----------------------

export const ErrorResponseSchema = z
  .object({ error: z.string().describe('What is wrong, in one sentence') })
  .describe('A refusal');

export const ValidationErrorResponseSchema = z
  .object({
    error: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .describe('The request does not match this document: every offending field is listed');

export const ConflictResponseSchema = z
  .object({
    error: z.string(),
    runningOperationId: z.string().optional().describe('Set when another operation is in progress'),
    dryRun: z
      .literal(true)
      .optional()
      .describe('A dry run the monitor would refuse: nothing was asked of it, the error says why'),
  })
  .describe('Refused: another operation is running, or the monitor said no (the reason says why)');

export const UnavailableResponseSchema = z
  .object({ error: z.string(), idempotencyKey: z.string().optional() })
  .describe('The monitor is not running yet or did not answer in time');

export const HealthResponseSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    reason: z.string().optional().describe('Why unhealthy, e.g. "last cycle 4 min ago" or "monitor Failed"'),
    lastCycleAgeSeconds: z
      .number()
      .optional()
      .describe('Seconds since the monitor last finished a probe cycle'),
    lastTickAgeSeconds: z.number().optional().describe('Seconds since the watchdog last ticked the monitor'),
  })
  .describe('Whether the watchdog and the monitor are alive; no plan, region or workflow detail');

export const AcceptedResponseSchema = z
  .object({
    operationId: z.string(),
    status: z.literal('accepted'),
    location: z.string().describe('Where to follow the operation'),
    supersedes: z
      .string()
      .optional()
      .describe(
        'A break-glass failover: the running operation it replaces, which stops at its next step boundary; this one starts when it has',
      ),
  })
  .describe('The monitor started the operation');

export const CancellingResponseSchema = z
  .object({
    operationId: z.string(),
    status: z.literal('cancelling'),
    location: z.string().describe('Where to follow the operation: its record ends with outcome `cancelled`'),
  })
  .describe('The monitor told the operation to stop at its next step boundary');

const ProbeSchema = z.object({
  at: z.string(),
  healthy: z.boolean(),
  status: z.number().int().optional(),
  latencyMs: z.number(),
  failure: z.string().optional(),
  detail: z.string().optional(),
});

const OperationSummarySchema = z.object({
  operationId: z.string(),
  direction: z.enum(['failover', 'failback']),
  trigger: z.enum(['automatic', 'manual']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  outcome: z.string().optional(),
});

const NotMovedSchema = z
  .array(
    z.object({
      entry: z.string(),
      why: z
        .enum(['held', 'blocked', 'failed', 'missing', 'pending-switch', 'pending-fence'])
        .describe(
          'held: nothing of it changed (its taker cannot run it); blocked: its activation was not run (a failed fence); failed or missing: its activation failed, or the copy that takes it does not exist; pending-switch: its router still sends callers to the other region; pending-fence: it moved, but the copy it left is not fenced yet',
        ),
      reason: z.string(),
      fences: z.array(z.string()).optional().describe('pending-fence: the copies not fenced yet'),
    }),
  )
  .describe(
    'Entries the operation did not move (held whole, or blocked), each with why: a partial operation',
  );

const MovedSchema = z
  .enum(['all', 'partial', 'none'])
  .optional()
  .describe(
    'How much it moved (none also when it ran no entry); dr status shows no RTO for one that moved nothing',
  );

const OverrideSchema = z
  .array(z.string())
  .optional()
  .describe('The break-glass override the operator asked for (e.g. no-dual-active)');

const LastFailoverSchema = z
  .object({
    operationId: z.string(),
    trigger: z.enum(['automatic', 'manual']),
    kind: z.enum(['planned', 'emergency']).optional(),
    by: z.string().optional().describe('Who asked: a principal, function-key, or automatic'),
    reason: z.string().optional(),
    outcome: z
      .string()
      .describe('running, succeeded, completed-with-errors, failed, or the runtime status when it crashed'),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    measuredRtoMs: z.number().optional().describe('First failed probe to the last group verified'),
    predictedRtoMs: z.number().optional().describe('What the policy predicted when it ran'),
    moved: MovedSchema,
    override: OverrideSchema,
    pendingFences: z
      .array(z.string())
      .describe('Fences the failover left pending (the top-level pendingFences says which still are)'),
    notMoved: NotMovedSchema.optional(),
    error: z.string().optional(),
  })
  .describe('The newest failover, kept after a failback: its outcome, RTO and the fences it left pending');

export const ModeSchema = z.enum([
  'monitoring',
  'degraded',
  'failing-over',
  'failed-over',
  'failing-back',
  'paused',
]);

export const StatusResponseSchema = z
  .object({
    planId: z.string(),
    regions: z.object({ primary: z.string(), secondary: z.string() }),
    activeRegion: z.enum(['primary', 'secondary']),
    activeLocation: z.string(),
    mode: ModeSchema,
    pausedMode: ModeSchema.exclude(['paused'])
      .optional()
      .describe("While paused: the mode the pause sits on (e.g. 'failed-over'); dr status shows both"),
    modeDetail: z
      .string()
      .describe(
        "The mode with what qualifies it: 'failed-over (partial: order-webhook did not move)', 'failed-over (the failover moved nothing: ...)'; the mode alone when nothing does",
      ),
    moved: z
      .object({
        operationId: z.string(),
        direction: z.enum(['failover', 'failback']),
        extent: z
          .enum(['all', 'partial', 'none'])
          .describe('How much of the plan the operation behind the current mode moved'),
        notMoved: NotMovedSchema,
        override: OverrideSchema,
      })
      .nullable()
      .describe(
        'The operation that set the active region (the last failover while the secondary is active, the last failback otherwise): each entry it did not move, with why; null while an operation runs or when there is none',
      ),
    failures: z
      .object({
        counted: z.number().int().describe('Failures the policy counts toward a failover now'),
        needed: z.number().int().describe('Failures that trigger a failover'),
        consecutive: z.number().int(),
        rule: z.string(),
        window: z.object({ failures: z.number().int(), of: z.number().int() }).optional(),
        cooldownUntil: z
          .string()
          .optional()
          .describe(
            "During the cooldown after a failover: when it ends; until then `needed` is twice the policy's threshold, in a row",
          ),
        policyNeeded: z
          .number()
          .int()
          .optional()
          .describe("During the cooldown: the policy's own threshold, which the cooldown doubles"),
      })
      .describe('Consecutive failures against the threshold, or k of the last n probes'),
    recentProbes: z.array(ProbeSchema).max(20).describe('The last 20 probes, newest last'),
    withheld: z
      .array(
        z.object({
          by: z.enum(['pause', 'automatic-off', 'cooldown']),
          until: z.string().optional().describe("When it stops holding (a pause's or the cooldown's end)"),
          who: z.string().optional().describe('Who paused'),
          reason: z.string(),
        }),
      )
      .describe(
        'While the primary is active: every cause that withholds an automatic failover now (a pause, automatic failover off), or delays it (the cooldown doubles detection); empty when nothing does',
      ),
    pause: z.object({ until: z.string(), by: z.string(), reason: z.string() }).nullable(),
    currentOperation: OperationSummarySchema.extend({
      runtimeStatus: z.string().optional(),
      live: z.unknown().optional().describe("The operation orchestration's live custom status"),
      waiting: z
        .string()
        .optional()
        .describe('What the operation waits for, e.g. "waiting for the split slot at 08:30:30" (UTC)'),
      waitingUntil: z.string().optional().describe('When that wait ends (ISO 8601)'),
      progress: z
        .object({
          entriesDone: z.number().int(),
          events: z.number().int().describe('Events in its timeline so far'),
          lastEvents: z
            .array(z.object({ at: z.string(), event: z.string() }))
            .describe('The newest timeline events (at most 5), oldest first'),
          released: z
            .array(z.string())
            .describe('Fences its finished groups left pending, released to the monitor to apply'),
          working: z.number().int().describe('Sub-orchestrations of the group running now'),
        })
        .optional()
        .describe("The running operation's progress, from its live status"),
      stopping: z
        .object({
          outcome: z.enum(['cancelled', 'superseded']),
          by: z.string(),
          reason: z.string(),
          at: z.string(),
          supersededBy: z.string().optional(),
        })
        .optional()
        .describe('An operator stopped it: it ends at its next step boundary (then supersededBy starts)'),
    }).nullable(),
    lastOperation: OperationSummarySchema.extend({
      measuredRtoMs: z.number().optional(),
      moved: MovedSchema,
      override: OverrideSchema,
      notMoved: NotMovedSchema.optional(),
      error: z.string().optional(),
    }).nullable(),
    lastFailover: LastFailoverSchema.nullable(),
    lastFailoverAt: z.string().nullable(),
    lastFailbackAt: z.string().nullable(),
    predictedRto: z.object({
      detectionMs: z.number(),
      detection: z.string().describe('How the detection bound is computed'),
      actuationMs: z.number(),
      actuation: z.string().describe('How the actuation estimate is computed'),
      totalMs: z.number(),
      automaticFailover: z.boolean(),
    }),
    pendingFences: z.array(z.string()).describe('Workflows still to be disabled once their region answers'),
    pendingSwitches: z
      .array(z.string())
      .describe('Router switches still to make once the router answers (`<router> -> <workflow>`)'),
    drift: z
      .array(z.string())
      .describe(
        'Workflows no longer as the last operation left them, one line each (estate.drifted; checked every DR_DRIFT_CHECK_CYCLES probe cycles)',
      ),
    notifications: z
      .object({
        pending: z
          .number()
          .int()
          .describe('Events waiting for Service Bus (retried with backoff until DR_NOTIFY_TTL)'),
        delivered: z.number().int(),
        droppedCount: z
          .number()
          .int()
          .describe('Events given up on after DR_NOTIFY_TTL (each logged as ALERT)'),
        oldestPendingSince: z.string().optional(),
        dropped: z
          .array(
            z.object({
              type: z.string(),
              messageId: z.string(),
              queuedAt: z.string(),
              droppedAt: z.string(),
              attempts: z.number().int(),
              lastError: z.string().optional(),
            }),
          )
          .describe('The newest 20 dropped events'),
        since: z
          .string()
          .optional()
          .describe(
            'The counts cover events queued since then (DR_NOTIFY_TTL and an hour back): nothing older can still be pending',
          ),
        truncated: z
          .boolean()
          .optional()
          .describe(
            'More events were queued in that window than the status reads; the counts are a lower bound',
          ),
      })
      .nullable()
      .describe('The notification outbox; null when the task hub could not be queried'),
    auth: z
      .object({
        keyIsOperator: z
          .boolean()
          .describe(
            'A function key alone may fail over, fail back, pause and resume (DR_KEY_IS_OPERATOR=true, or a local host that opted in); otherwise key-only callers may only read',
          ),
        requirePrincipal: z
          .boolean()
          .describe('DR_REQUIRE_PRINCIPAL=true: every call needs a signed-in caller (an Entra access token)'),
        principalTrusted: z
          .boolean()
          .describe(
            'x-ms-client-principal is believed: only where a local host vouches for it in code, never in Azure',
          ),
      })
      .describe('Who may do what over this API'),
    monitor: z.object({
      instanceId: z.string(),
      runtimeStatus: z.string(),
      updatedAt: z.string(),
      lastTickAt: z.string().optional(),
      lastCycle: z
        .object({ at: z.string(), reason: z.string() })
        .optional()
        .describe(
          "The last probe cycle's conclusion and why, e.g. '2 failed probe(s) in a row (fails over at 3)'",
        ),
      probes: z.number().int(),
      executions: z.number().int(),
      warning: z.string().optional(),
    }),
  })
  .describe('What the control plane sees and would do');

export const HistoryItemSchema = z.object({
  operationId: z.string(),
  direction: z.enum(['failover', 'failback']),
  kind: z.string().optional(),
  trigger: z.string().optional(),
  by: z.string().optional(),
  reason: z.string().optional(),
  override: z.array(z.string()).optional(),
  status: z.string().describe('running, succeeded, completed-with-errors, failed, or the runtime status'),
  runtimeStatus: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  measuredRtoMs: z.number().optional(),
  moved: MovedSchema,
  error: z.string().optional(),
});

export const HistoryResponseSchema = z
  .object({
    items: z.array(HistoryItemSchema).describe('Newest first'),
    nextBefore: z.string().optional().describe('Pass as ?before= for the next (older) page'),
  })
  .describe('Failovers and failbacks of this plan, newest first');

export const RequestItemSchema = z.object({
  requestId: z.string().describe('The request id (from its Idempotency-Key)'),
  request: z.enum(['pause', 'resume', 'failover', 'failback', 'cancel']),
  at: z.string().describe('When the monitor answered it'),
  seq: z
    .number()
    .int()
    .describe('Orders requests answered at the same instant (the monitor execution that answered)'),
  by: z.string().describe('Who asked: the principal, or function-key'),
  reason: z.string(),
  answer: z.enum(['accepted', 'conflict', 'refused', 'applied']),
  answerReason: z.string().optional().describe('Why it was refused, or what it conflicted with'),
  operationId: z.string().optional().describe('The operation it started (accepted) or ran into (conflict)'),
  until: z.string().optional().describe('A pause: the end asked for'),
  endedPause: z
    .object({ until: z.string(), by: z.string(), reason: z.string() })
    .optional()
    .describe('A resume: the pause it ended'),
  kind: z.enum(['planned', 'emergency']).optional(),
  override: z.array(z.string()).optional(),
  force: z.boolean().optional(),
});

export const RequestsResponseSchema = z
  .object({
    items: z.array(RequestItemSchema).describe('Newest first'),
    nextBefore: z.string().optional().describe('Pass as ?before= for the next (older) page'),
  })
  .describe(
    'Operators\u2019 pauses, resumes and failover or failback requests, with their answers, newest first',
  );

export const OperationResponseSchema = z
  .object({
    operationId: z.string(),
    runtimeStatus: z.string(),
    status: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    request: z.record(z.string(), z.unknown()).optional(),
    live: z.unknown().optional().describe('While running: the live custom status'),
    record: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('When finished: the audit record (timeline, entries, read-backs, notifications, RTO)'),
    error: z.string().optional(),
  })
  .describe('One failover or failback');

export const PauseResponseSchema = z
  .object({
    status: z.literal('applied'),
    mode: ModeSchema,
    pause: z.object({ until: z.string(), by: z.string(), reason: z.string() }).nullable(),
    endedPause: z
      .object({ until: z.string(), by: z.string(), reason: z.string() })
      .nullable()
      .optional()
      .describe(
        'Resume only: the pause it ended, or null when nothing was paused (absent when the answer is replayed)',
      ),
  })
  .describe('The monitor applied the pause or resume');

export const DryRunResponseSchema = z
  .object({
    dryRun: z.literal(true),
    direction: z.enum(['failover', 'failback']),
    kind: z.enum(['planned', 'emergency']),
    plan: z
      .record(z.string(), z.unknown())
      .describe('The ordered ARM operations, group by group, as dr whatif prints them'),
    unreadable: z.array(z.string()).describe("Workflows whose region's ARM did not answer"),
    supersedes: z
      .string()
      .optional()
      .describe('A break-glass failover: the running operation it would replace'),
  })
  .describe('What the operation would do now; nothing was changed');
