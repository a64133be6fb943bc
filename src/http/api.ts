/**
 * The HTTP manual override and status API: one handler per route of the route table, each run through the
 * request pipeline (src/http/pipeline.ts: authorisation, refusals, audit line). Handlers validate, then either
 * read durable state or signal the monitor and return its answer.
 */
import { randomUUID } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { planFromEstate } from '../estate/live-check';
import { pauseProblem, policyOf, reportedMode } from '../core/monitor';
import { admissionOf } from '../core/monitor-step';
import { isNotFound, statusIfAny, type DurableClient, type InstanceInfo } from '../durable/client';
import { queryAllInstances } from '../durable/instance-query';
import { durationMs } from '../core/duration';
import {
  DELIVERY_PREFIX,
  OPERATION_PREFIX,
  REQUEST_PREFIX,
  requestInstanceId,
  ORCHESTRATIONS,
  monitorInstanceId,
  operationInstanceId,
  type MonitorStatus,
  type OperationInput,
  type OperationSummary,
  type RequestAnswer,
  monitorOf,
} from '../durable/contracts';
import type { Plan } from '../plan/schema';
import { ConflictError, MonitorUnavailableError, NotFoundError, RequestValidationError } from './errors';
import { healthVerdict } from './health';
import { historyPage, instancesBefore, isoOf, isRunning, recordOf, requestsPage } from './history';
import { askMonitor, type RequestSignal } from './monitor-requests';
import { openApiDocument } from './openapi';
import {
  fingerprintOf,
  idempotencyKeyOf,
  readBody,
  routeHandler,
  validate,
  type Call,
  type HttpApiDeps,
  type HttpHandler,
} from './pipeline';
import { HTTP_ROUTES, type HttpRouteKey } from './routes';
import { OperationIdSchema } from './schemas';
import { statusView } from './status-view';

export type { HttpApiDeps, HttpApiSettings, HttpHandler } from './pipeline';

const DEFAULT_ANSWER_WAIT_MS = 15_000;

const armLatency = (ms: number | undefined) => (ms === undefined ? {} : { armLatencyMs: ms });

/** The query's parameters, less `code` (the function key when passed in the query: the host's, not ours to validate or echo). */
const queryParams = (request: { query: URLSearchParams }): Record<string, string> =>
  Object.fromEntries([...request.query.entries()].filter(([k]) => k !== 'code'));

function monitorState(plan: Plan, status: InstanceInfo | undefined): MonitorStatus {
  const custom = status ? monitorOf(status) : undefined;
  if (!custom)
    throw new MonitorUnavailableError(
      `the monitor of plan ${plan.id} is not running yet: the watchdog starts it within one tick`,
    );
  return custom;
}

/**
 * The newest failover for the status summary. The monitor remembers only its running and its last operation,
 * so after a failback the failover before it is looked up by id prefix within an hour of the monitor's
 * `lastFailoverAt` (its audit record is the instance output); that query happens only then.
 */
async function newestFailover(
  client: DurableClient,
  plan: Plan,
  monitor: MonitorStatus,
  read: { current: InstanceInfo | undefined; last: InstanceInfo | undefined },
): Promise<{ summary?: OperationSummary; instance?: InstanceInfo } | undefined> {
  for (const [summary, instance] of [
    [monitor.activeOperation, read.current],
    [monitor.lastOperation, read.last],
  ] as const) {
    if (summary?.direction === 'failover') return { summary, ...(instance ? { instance } : {}) };
  }
  if (!monitor.state.lastFailoverAt) return undefined;
  const decidedAt = Date.parse(monitor.state.lastFailoverAt);
  // A task hub that cannot be queried fails the status, as a monitor that cannot be read does.
  const { instances } = await queryAllInstances(
    client,
    {
      instanceIdPrefix: `${OPERATION_PREFIX(plan.id)}failover-`,
      // The operation starts just after the decision (an activity later, retried for minutes at worst).
      createdTimeFrom: new Date(decidedAt - FAILOVER_START_SLACK_MS),
      createdTimeTo: new Date(decidedAt + HOUR_MS),
    },
    3,
  );
  const newest = instances
    .filter((i) => i.name === undefined || i.name === ORCHESTRATIONS.operation)
    .sort((a, b) => Date.parse(isoOf(b.createdTime)) - Date.parse(isoOf(a.createdTime)))[0];
  return newest ? { instance: newest } : undefined; // none: purged, lastFailoverAt still says when
}

const HOUR_MS = 3_600_000;
/** Pages (of 100 instances, sub-orchestrations included) one history window reads at most. */
const HISTORY_PAGES = 50;
const FAILOVER_START_SLACK_MS = 5 * 60_000;
/** At most this many pages (of 100) of recent notifications per status read; beyond, counts are a floor. */
const OUTBOX_PAGES = 10;

export function createHttpApi(deps: HttpApiDeps): Record<HttpRouteKey, HttpHandler> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const newId = deps.newRequestId ?? (() => randomUUID());
  const waitMs = deps.answerWaitMs ?? DEFAULT_ANSWER_WAIT_MS;

  const handler = (key: HttpRouteKey, run: (call: Call) => Promise<HttpResponseInit>): HttpHandler =>
    routeHandler(deps, key, run);

  /**
   * The instances one page of an audit (operations, requests) needs: by id prefix in created-time windows
   * walking back from the `before` instance's start (or now): the `before` one itself, the page, and one more
   * to know whether there is a next page.
   */
  const auditBefore = async (
    client: Call['client'],
    query: { limit: number; before?: string | undefined },
    audit: {
      prefix: string;
      orchestration: string;
      instanceOf: (id: string) => string;
      what: string;
      where: string;
    },
  ): Promise<InstanceInfo[]> => {
    let end = new Date(deps.now().getTime() + HOUR_MS); // clock skew between hosts: start a little ahead
    if (query.before !== undefined) {
      const before = await statusIfAny(client, audit.instanceOf(query.before));
      if (!before)
        throw new RequestValidationError('query', [
          { path: 'before', message: `no ${audit.what} ${query.before} in ${audit.where}` },
        ]);
      end = new Date(isoOf(before.createdTime));
    }
    return instancesBefore(audit.prefix, audit.orchestration, end, query.limit + 2, async ({ from, to }) => {
      const r = await queryAllInstances(
        client,
        { instanceIdPrefix: audit.prefix, createdTimeFrom: from, createdTimeTo: to },
        HISTORY_PAGES,
      );
      return r.instances;
    });
  };

  /**
   * What the request would do now, changing nothing. The monitor's own admission first (from its published
   * record): a request it would refuse is refused here too, with its reason, not previewed as if it would run.
   */
  async function dryRun(call: Call, request: OperationInput['request']): Promise<HttpResponseInit> {
    const { client, plan } = call;
    let status: InstanceInfo | undefined;
    try {
      status = await client.getStatus(monitorInstanceId(plan.id));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const { admission } = admissionOf(monitorState(plan, status), request, deps.now());
    if (admission.status !== 'accepted')
      throw new ConflictError(`dry run: the ${request.direction} would be refused: ${admission.reason}`, {
        dryRun: true,
        ...(admission.status === 'conflict' ? { runningOperationId: admission.operationId } : {}),
      });
    const { direction, kind } = request;
    // The orchestration's own planning: entries the live DR rules refuse are shown blocked.
    const probe = deps.probe?.();
    const { op, unreadable } = await planFromEstate(
      plan,
      direction,
      kind,
      deps.control(),
      deps.routers?.(),
      probe ? { probe, now: deps.now() } : undefined,
    );
    return {
      status: 200,
      jsonBody: {
        dryRun: true,
        direction,
        kind,
        plan: op,
        unreadable,
        ...(admission.supersedes ? { supersedes: admission.supersedes } : {}),
      },
    };
  }

  async function requestOperation(
    call: Call,
    route: string,
    request: OperationInput['request'],
  ): Promise<HttpResponseInit> {
    const { key, given } = idempotencyKeyOf(call.request, newId);
    call.audit.idempotencyKey = key;
    call.audit.reason = request.caller.reason;
    const signal: RequestSignal = {
      kind: 'request-operation',
      id: `http-${route}-${key}`,
      request,
      fingerprint: fingerprintOf(route, request),
    };
    return operationAnswer(await ask(call, signal, key), given ? key : undefined);
  }

  /** Raises a request signal and waits for the monitor's answer (a retried key: the first one), audited. */
  async function ask(call: Call, signal: RequestSignal, key: string): Promise<RequestAnswer> {
    const { answer, replayed } = await askMonitor(call.client, call.plan, signal, {
      waitMs,
      sleep,
      idempotencyKey: key,
      now: deps.now,
      log: (m) => call.context.log(m),
    });
    call.audit.replayed = replayed;
    return answer;
  }

  function operationAnswer(answer: RequestAnswer, key: string | undefined): HttpResponseInit {
    const keyHeader: Record<string, string> = key ? { 'Idempotency-Key': key } : {};
    switch (answer.status) {
      case 'accepted': {
        const location = `/api/operations/${answer.operationId}`;
        return {
          status: 202,
          headers: { Location: location, ...keyHeader },
          jsonBody: {
            operationId: answer.operationId,
            status: 'accepted',
            location,
            ...(answer.supersedes ? { supersedes: answer.supersedes } : {}),
          },
        };
      }
      case 'conflict':
        throw new ConflictError(answer.reason, { runningOperationId: answer.operationId });
      case 'refused':
        throw new ConflictError(answer.reason);
      case 'applied':
        throw new Error('the monitor answered an operation request with "applied"');
    }
  }

  async function pauseOrResume(
    call: Call,
    signal: RequestSignal,
    key: string,
    checkNew?: () => void,
  ): Promise<HttpResponseInit> {
    const { answer, monitor, replayed, before } = await askMonitor(call.client, call.plan, signal, {
      waitMs,
      sleep,
      idempotencyKey: key,
      now: deps.now,
      log: (m) => call.context.log(m),
      ...(checkNew ? { checkNew } : {}),
    });
    call.audit.replayed = replayed;
    const reply = pauseReply(answer, monitor);
    // A resume says which pause it ended, or that nothing was paused (unknown for a replayed answer).
    if (signal.kind !== 'resume' || replayed) return reply;
    return { ...reply, jsonBody: { ...(reply.jsonBody as object), endedPause: activePause(before) } };
  }

  const activePause = (m: MonitorStatus | undefined) => {
    const pause = m?.state.pause;
    return pause && Date.parse(pause.until) > deps.now().getTime()
      ? { until: pause.until, by: pause.by, reason: pause.reason }
      : null;
  };

  function pauseReply(answer: RequestAnswer, monitor: MonitorStatus): HttpResponseInit {
    if (answer.status !== 'applied')
      throw new ConflictError(
        answer.status === 'refused' || answer.status === 'conflict' ? answer.reason : 'refused',
      );
    return {
      status: 200,
      jsonBody: {
        status: 'applied',
        mode: reportedMode(monitor.state, deps.now()),
        pause: activePause(monitor),
      },
    };
  }

  return {
    status: handler('status', async ({ client, plan, settings }) => {
      const instanceId = monitorInstanceId(plan.id);
      let status: InstanceInfo | undefined;
      try {
        status = await client.getStatus(instanceId);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const monitor = monitorState(plan, status);
      const optional = async (id: string | undefined) => {
        if (!id) return undefined;
        try {
          return await client.getStatus(operationInstanceId(plan.id, id));
        } catch (err) {
          if (isNotFound(err)) return undefined; // purged: the summary from the monitor still stands
          throw err;
        }
      };
      const [current, last] = await Promise.all([
        optional(monitor.activeOperation?.operationId),
        optional(monitor.lastOperation?.operationId),
      ]);
      const lastRecord = last ? recordOf(last) : undefined;
      const lastFailover = await newestFailover(client, plan, monitor, { current, last });
      // The outbox's state is a convenience: a task hub that cannot be queried must not fail the status.
      // Only deliveries queued within the TTL (and an hour) can still be pending: older ones are not read.
      const since = new Date(deps.now().getTime() - (deps.notificationTtlMs?.() ?? 0) - HOUR_MS);
      const deliveries = await queryAllInstances(
        client,
        { instanceIdPrefix: DELIVERY_PREFIX(plan.id), createdTimeFrom: since, showInput: false },
        OUTBOX_PAGES,
      )
        .then((r) => ({ ...r, since: since.toISOString() }))
        .catch(() => undefined);
      return {
        status: 200,
        jsonBody: statusView({
          plan,
          planPolicy: policyOf(plan),
          monitor,
          instanceId,
          runtimeStatus: status!.runtimeStatus,
          now: deps.now(),
          ...(current
            ? { current: { runtimeStatus: current.runtimeStatus, customStatus: current.customStatus } }
            : {}),
          ...(lastRecord ? { lastRecord } : {}),
          ...(lastFailover ? { lastFailover } : {}),
          ...(deliveries ? { deliveries } : {}),
          ...armLatency(deps.armLatencyMs?.()),
          auth: settings,
        }),
      };
    }),

    history: handler('history', async ({ request, client, plan }) => {
      const query = validate(HTTP_ROUTES.history.query, queryParams(request), 'query');
      const instances = await auditBefore(client, query, {
        prefix: OPERATION_PREFIX(plan.id),
        orchestration: ORCHESTRATIONS.operation,
        instanceOf: (id) => operationInstanceId(plan.id, id),
        what: `operation`,
        where: `the history of plan ${plan.id}`,
      });
      return { status: 200, jsonBody: historyPage(plan.id, instances, query) };
    }),

    requests: handler('requests', async ({ request, client, plan }) => {
      const query = validate(HTTP_ROUTES.requests.query, queryParams(request), 'query');
      const instances = await auditBefore(client, query, {
        prefix: REQUEST_PREFIX(plan.id),
        orchestration: ORCHESTRATIONS.request,
        instanceOf: (id) => requestInstanceId(plan.id, id),
        what: 'request',
        where: `the requests of plan ${plan.id}`,
      });
      return { status: 200, jsonBody: requestsPage(plan.id, instances, query) };
    }),

    operation: handler('operation', async ({ request, client, plan }) => {
      const id = validate(OperationIdSchema, request.params.id ?? '', 'path');
      let s: InstanceInfo;
      try {
        s = await client.getStatus(operationInstanceId(plan.id, id));
      } catch (err) {
        if (isNotFound(err)) throw new NotFoundError(`no operation ${id} in plan ${plan.id}`);
        throw err;
      }
      const record = recordOf(s);
      const input = s.input as Partial<OperationInput> | null | undefined;
      const running = isRunning(s.runtimeStatus);
      return {
        status: 200,
        jsonBody: {
          operationId: id,
          runtimeStatus: s.runtimeStatus,
          status: running ? 'running' : (record?.status ?? s.runtimeStatus.toLowerCase()),
          createdAt: isoOf(s.createdTime),
          updatedAt: isoOf(s.lastUpdatedTime),
          ...((record?.request ?? input?.request) ? { request: record?.request ?? input?.request } : {}),
          ...(running && s.customStatus != null ? { live: s.customStatus } : {}),
          ...(record ? { record } : {}),
          ...(!running && !record && typeof s.output === 'string' ? { error: s.output } : {}),
        },
      };
    }),

    failover: handler('failover', async (call) => {
      const body = await readBody(call.request, HTTP_ROUTES.failover.body);
      call.audit.reason = body.reason;
      const request: OperationInput['request'] = {
        direction: 'failover',
        kind: body.kind,
        trigger: 'manual',
        caller: { by: call.identity.by, reason: body.reason },
        override: body.override ?? [],
      };
      if (body.dryRun) {
        call.audit.dryRun = true;
        return dryRun(call, request);
      }
      return requestOperation(call, 'failover', request);
    }),

    cancel: handler('cancel', async (call) => {
      const id = validate(OperationIdSchema, call.request.params.id ?? '', 'path');
      const body = await readBody(call.request, HTTP_ROUTES.cancel.body);
      call.audit.reason = body.reason;
      call.audit.operationId = id;
      const { key, given } = idempotencyKeyOf(call.request, newId);
      call.audit.idempotencyKey = key;
      const caller = { by: call.identity.by, reason: body.reason };
      const signal: RequestSignal = {
        kind: 'cancel-operation',
        id: `http-cancel-${key}`,
        operationId: id,
        caller,
        fingerprint: fingerprintOf('cancel', { operationId: id, caller }),
      };
      const answer = await ask(call, signal, key);
      if (answer.status === 'refused' || answer.status === 'conflict')
        throw new ConflictError(
          answer.reason,
          answer.status === 'conflict' ? { runningOperationId: answer.operationId } : undefined,
        );
      if (answer.status !== 'accepted')
        throw new Error(`the monitor answered a cancel with "${answer.status}"`);
      const location = `/api/operations/${answer.operationId}`;
      return {
        status: 202,
        headers: { Location: location, ...(given ? { 'Idempotency-Key': key } : {}) },
        jsonBody: { operationId: answer.operationId, status: 'cancelling', location },
      };
    }),

    failback: handler('failback', async (call) => {
      const body = await readBody(call.request, HTTP_ROUTES.failback.body);
      call.audit.reason = body.reason;
      const request: OperationInput['request'] = {
        direction: 'failback',
        kind: 'planned',
        trigger: 'manual',
        caller: { by: call.identity.by, reason: body.reason },
        override: [],
        ...(body.force ? { force: true } : {}),
      };
      if (body.dryRun) {
        call.audit.dryRun = true;
        return dryRun(call, request);
      }
      return requestOperation(call, 'failback', request);
    }),

    pause: handler('pause', async (call) => {
      const body = await readBody(call.request, HTTP_ROUTES.pause.body);
      call.audit.reason = body.reason;
      call.audit.until = body.until;
      const { key } = idempotencyKeyOf(call.request, newId);
      call.audit.idempotencyKey = key;
      const caller = { by: call.identity.by, reason: body.reason };
      const until = new Date(Date.parse(body.until)).toISOString();
      const signal: RequestSignal = {
        kind: 'pause',
        id: `http-pause-${key}`,
        until,
        caller,
        fingerprint: fingerprintOf('pause', { until, caller }),
      };
      // Checked against the clock only as a new request: a retry gets its first answer even when `until` has
      // passed (or moved past maxPause) since then.
      const checkUntil = () => {
        const problem = pauseProblem(until, call.plan.policy, deps.now());
        if (problem) throw new RequestValidationError('body', [{ path: 'until', message: problem }]);
      };
      return pauseOrResume(call, signal, key, checkUntil);
    }),

    resume: handler('resume', async (call) => {
      const body = await readBody(call.request, HTTP_ROUTES.resume.body);
      const { key } = idempotencyKeyOf(call.request, newId);
      call.audit.idempotencyKey = key;
      const caller = { by: call.identity.by, reason: body.reason ?? '' };
      return pauseOrResume(
        call,
        { kind: 'resume', id: `http-resume-${key}`, caller, fingerprint: fingerprintOf('resume', caller) },
        key,
      );
    }),

    openapi: handler('openapi', async () => ({ status: 200, jsonBody: openApiDocument() })),

    health: handler('health', async ({ client, plan }) => {
      let monitor: InstanceInfo | undefined;
      let unreadable = false;
      try {
        monitor = await client.getStatus(monitorInstanceId(plan.id));
      } catch (err) {
        unreadable = !isNotFound(err);
      }
      const { healthy, ...rest } = unreadable
        ? { healthy: false, reason: 'the task hub does not answer' }
        : healthVerdict(monitor, durationMs(plan.policy.probeInterval), deps.now());
      return {
        status: healthy ? 200 : 503,
        headers: { 'Cache-Control': 'no-store' },
        jsonBody: { status: healthy ? 'healthy' : 'unhealthy', ...rest },
      };
    }),
  };
}
