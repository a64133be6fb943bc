/**
 * The route table: one entry per HTTP function. `functions/http-*.ts` register from it, the handlers check
 * access from it, and the OpenAPI document is generated from it, so a route cannot exist undocumented.
 */
import type { z } from 'zod';
import type { Access } from './auth';
import {
  AcceptedResponseSchema,
  CancelBodySchema,
  CancellingResponseSchema,
  ConflictResponseSchema,
  DryRunResponseSchema,
  ErrorResponseSchema,
  FailbackBodySchema,
  FailoverBodySchema,
  HealthResponseSchema,
  HistoryQuerySchema,
  HistoryResponseSchema,
  OperationIdSchema,
  OperationResponseSchema,
  PauseBodySchema,
  PauseResponseSchema,
  RequestsQuerySchema,
  RequestsResponseSchema,
  ResumeBodySchema,
  StatusResponseSchema,
  UnavailableResponseSchema,
  ValidationErrorResponseSchema,
} from './schemas';

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

export interface HttpRouteSpec {
  /** Function name in the Functions host. */
  name: string;
  /** Route below `/api/`, in the Functions route template syntax. */
  route: string;
  method: 'GET' | 'POST';
  access: Access;
  summary: string;
  description: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  params?: Record<string, z.ZodType>;
  /** Route-specific responses; 400/401/403 (and 415 for bodies) are added for every route. */
  responses: Record<number, RouteResponse>;
}

const LOCATION = { Location: 'Where to follow the operation: /api/operations/{operationId}' };

/** Failover and failback answer alike: a dry run, a started operation, a refusal, or no answer in time. */
const OPERATION_RESPONSES = {
  200: { description: 'dryRun: the what-if plan; nothing changed', schema: DryRunResponseSchema },
  202: { description: 'Started', schema: AcceptedResponseSchema, headers: LOCATION },
  409: { description: 'An operation is in progress, or the monitor refused', schema: ConflictResponseSchema },
  503: { description: 'The monitor did not answer in time', schema: UnavailableResponseSchema },
};

/** Pause and resume answer alike: the pause state, a refusal, or no answer (yet) from the monitor. */
const pauseResponses = (done: string) => ({
  200: { description: done, schema: PauseResponseSchema },
  409: { description: 'The monitor refused', schema: ConflictResponseSchema },
  503: {
    description: 'The monitor is not ready or did not answer in time',
    schema: UnavailableResponseSchema,
  },
});

export const HTTP_ROUTES = {
  status: {
    name: 'drHttpStatus',
    route: 'status',
    method: 'GET',
    access: 'read',
    summary: 'Current mode, counts, probes, pause, operations and predicted RTO',
    description:
      "Reads the monitor's published state. 503 until the watchdog has started the monitor (within one tick).",
    responses: {
      200: { description: 'The status', schema: StatusResponseSchema },
      503: { description: 'The monitor is not running yet', schema: UnavailableResponseSchema },
    },
  },
  history: {
    name: 'drHttpHistory',
    route: 'history',
    method: 'GET',
    access: 'read',
    summary: 'Failovers and failbacks, newest first, paged',
    description: 'Pass the previous page\u2019s `nextBefore` as `before` to read older operations.',
    query: HistoryQuerySchema,
    responses: { 200: { description: 'One page of the history', schema: HistoryResponseSchema } },
  },
  requests: {
    name: 'drHttpRequests',
    route: 'requests',
    method: 'GET',
    access: 'read',
    summary: 'Pauses, resumes and failover or failback requests with their answers, newest first, paged',
    description:
      'Who asked, why, when, and what the monitor answered (refusals and conflicts included). Pass the previous page\u2019s `nextBefore` as `before` to read older requests.',
    query: RequestsQuerySchema,
    responses: { 200: { description: 'One page of the requests', schema: RequestsResponseSchema } },
  },
  operation: {
    name: 'drHttpOperation',
    route: 'operations/{id}',
    method: 'GET',
    access: 'read',
    summary: 'One failover or failback: live status while running, the audit record when finished',
    description:
      'The audit record holds the timeline, every ARM step, read-backs, notifications and the RTO.',
    params: { id: OperationIdSchema },
    responses: {
      200: { description: 'The operation', schema: OperationResponseSchema },
      404: { description: 'No such operation in this plan', schema: ErrorResponseSchema },
    },
  },
  failover: {
    name: 'drHttpFailover',
    route: 'failover',
    method: 'POST',
    access: 'operate',
    summary: 'Fail over to the secondary region now (or, with dryRun, show what would happen)',
    description:
      'The monitor starts the operation unless one is running or the plan is already failed over. With an override, it supersedes a running operation: that one stops at its next step boundary (outcome `superseded`), then this one starts and does not try again the fences it found failing. Honours Idempotency-Key.',
    body: FailoverBodySchema,
    responses: OPERATION_RESPONSES,
  },
  cancel: {
    name: 'drHttpCancel',
    route: 'operations/{id}/cancel',
    method: 'POST',
    access: 'operate',
    summary: 'Cancel the running failover or failback',
    description:
      'The operation stops at its next step boundary: a fence being retried gives up (what it protects is blocked), the groups not begun do not run; what it did stays and is recorded. Its outcome is `cancelled`. To replace a running failover instead, ask for a failover with an override (it supersedes it). Honours Idempotency-Key.',
    params: { id: OperationIdSchema },
    body: CancelBodySchema,
    responses: {
      202: { description: 'Cancelling', schema: CancellingResponseSchema, headers: LOCATION },
      409: {
        description: 'The operation is not running, or is being stopped already',
        schema: ConflictResponseSchema,
      },
      503: { description: 'The monitor did not answer in time', schema: UnavailableResponseSchema },
    },
  },
  failback: {
    name: 'drHttpFailback',
    route: 'failback',
    method: 'POST',
    access: 'operate',
    summary: 'Fail back to the primary region',
    description:
      'Refused (409) while the primary has not been healthy for the recovery threshold and soak time, unless force. Honours Idempotency-Key.',
    body: FailbackBodySchema,
    responses: OPERATION_RESPONSES,
  },
  pause: {
    name: 'drHttpPause',
    route: 'pause',
    method: 'POST',
    access: 'operate',
    summary: 'Pause automatic failover and failback until a time',
    description:
      "Probing continues; nothing fails over or back automatically until `until` (at most the plan's maxPause ahead). Honours Idempotency-Key.",
    body: PauseBodySchema,
    responses: pauseResponses('Paused'),
  },
  resume: {
    name: 'drHttpResume',
    route: 'resume',
    method: 'POST',
    access: 'operate',
    summary: 'End a pause now',
    description: 'Honours Idempotency-Key. An empty body is allowed.',
    body: ResumeBodySchema,
    responses: pauseResponses('Resumed'),
  },
  health: {
    name: 'drHttpHealth',
    route: 'health',
    method: 'GET',
    access: 'anonymous',
    summary: "The dead-man's switch: is the control plane itself alive",
    description:
      'Anonymous and cheap (one durable read). 200 while the watchdog ticks and the monitor finished a probe cycle within 3 probe intervals; 503 with the reason otherwise. Reveals no plan, region or workflow.',
    responses: {
      200: { description: 'Alive', schema: HealthResponseSchema },
      503: {
        description: 'The watchdog or the monitor has stopped (reason given)',
        schema: HealthResponseSchema,
      },
    },
  },
  openapi: {
    name: 'drHttpOpenApi',
    route: 'openapi.json',
    method: 'GET',
    access: 'read',
    summary: 'This document',
    description:
      'OpenAPI 3.1 description of the control plane\u2019s HTTP API, generated from the validators.',
    responses: { 200: { description: 'The OpenAPI document' } },
  },
} as const satisfies Record<string, HttpRouteSpec>;

export type HttpRouteKey = keyof typeof HTTP_ROUTES;

export const VALIDATION_RESPONSE: RouteResponse = {
  description: 'Invalid request: every offending field is named',
  schema: ValidationErrorResponseSchema,
};
