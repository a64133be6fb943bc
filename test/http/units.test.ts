/** The pure parts of the HTTP API: principals, the monitor request wait, the status view, history paging. */
import { describe, expect, it } from 'vitest';
import { initialMonitorState } from '../../src/core/monitor';
import {
  monitorInstanceId,
  type MonitorStatus,
  type OperationRecord,
  type Signal,
} from '../../src/durable/contracts';
import type { WorkflowTarget } from '../../src/core/planner';
import { loadPlan } from '../../src/plan/load';
import { policyOf } from '../../src/core/monitor';
import { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { APP_ROLES, authorise, keysMatch, parsePrincipal } from '../../src/http/auth';
import {
  ForbiddenError,
  MonitorUnavailableError,
  PayloadTooLargeError,
  UnauthenticatedError,
} from '../../src/http/errors';
import { historyPage, type InstanceInfo } from '../../src/http/history';
import { MAX_BODY_BYTES, readBody, redactSecrets } from '../../src/http/pipeline';
import { plainText } from '../../src/http/redact';
import { createHttpRegistration, httpSettingsFrom, keyIsOperatorWarning } from '../../src/http/runtime';
import { askMonitor } from '../../src/http/monitor-requests';
import { lastFailoverView, predictRto, statusView } from '../../src/http/status-view';
import { renderStatus } from '../../src/cli/commands/status';
import { renderOperation } from '../../src/cli/commands/operation';
import { EXAMPLE_PLAN } from '../support/estate';
import { automaticFailoverRequest } from '../support/plans';

const { plan } = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });

describe('principals', () => {
  it('reads the name by name_typ and the roles by role_typ, as App Service forwards them', () => {
    const p = b64({
      auth_typ: 'aad',
      name_typ: 'preferred_username',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: 'name', val: 'Jo Operator' },
        { typ: 'preferred_username', val: 'jo@contoso.com' },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: APP_ROLES.operator },
        { typ: 'groups', val: APP_ROLES.reader },
      ],
    });
    expect(parsePrincipal(p)).toEqual({ by: 'jo@contoso.com', roles: [APP_ROLES.operator] });
  });

  it('falls back to x-ms-client-principal-name when no claim names the caller', () => {
    const p = b64({ claims: [{ typ: 'roles', val: APP_ROLES.reader }] });
    expect(parsePrincipal(p, 'svc-dr-dashboard')).toEqual({
      by: 'svc-dr-dashboard',
      roles: [APP_ROLES.reader],
    });
    expect(() => parsePrincipal(p)).toThrow(UnauthenticatedError);
  });

  it('operators may read; readers may not operate; no principal is a function-key caller unless required', () => {
    const reader = b64({
      claims: [
        { typ: 'name', val: 'r' },
        { typ: 'roles', val: APP_ROLES.reader },
      ],
    });
    const operator = b64({
      claims: [
        { typ: 'name', val: 'o' },
        { typ: 'roles', val: APP_ROLES.operator },
      ],
    });
    const opts = { requirePrincipal: false, trustPrincipal: true, keyIsOperator: true };
    expect(authorise(headers({ 'x-ms-client-principal': operator }), 'read', opts).by).toBe('o');
    expect(() => authorise(headers({ 'x-ms-client-principal': reader }), 'operate', opts)).toThrow(
      ForbiddenError,
    );
    expect(authorise(headers({}), 'operate', opts)).toEqual({
      by: 'function-key',
      roles: [],
      via: 'function-key',
    });
    expect(() => authorise(headers({}), 'read', { ...opts, requirePrincipal: true })).toThrow(
      UnauthenticatedError,
    );
  });

  it('a function key alone is a reader unless key-is-operator is on; the 403 names both ways out', () => {
    const readerKey = { requirePrincipal: false, trustPrincipal: true, keyIsOperator: false };
    expect(authorise(headers({}), 'read', readerKey).via).toBe('function-key');
    let refusal: unknown;
    try {
      authorise(headers({}), 'operate', readerKey);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ForbiddenError);
    expect(refusal).toMatchObject({ status: 403, caller: 'function-key' });
    expect((refusal as Error).message).toMatch(/function key alone may read but not change/);
    expect((refusal as Error).message).toContain('an Entra access token with the app role');
    expect((refusal as Error).message).toContain(APP_ROLES.operator);
    expect((refusal as Error).message).toContain('DR_KEY_IS_OPERATOR=true');
    // Without Entra sign-in configured, signing in is not possible yet: the message says how to set it up.
    expect(() => authorise(headers({}), 'operate', { ...readerKey, trustPrincipal: false })).toThrow(
      /configure Entra sign-in \(azd env set DR_AUTH_CLIENT_ID/,
    );
    // An operator principal is unaffected by the setting.
    const operator = b64({
      claims: [
        { typ: 'name', val: 'o' },
        { typ: 'roles', val: APP_ROLES.operator },
      ],
    });
    expect(authorise(headers({ 'x-ms-client-principal': operator }), 'operate', readerKey).via).toBe(
      'principal',
    );
  });

  it('outside a local host a principal is refused (401), never believed or silently dropped', () => {
    const forged = b64({
      claims: [
        { typ: 'name', val: 'ceo@contoso.com' },
        { typ: 'roles', val: APP_ROLES.operator },
      ],
    });
    const untrusted = { requirePrincipal: false, trustPrincipal: false, keyIsOperator: true };
    expect(() => authorise(headers({ 'x-ms-client-principal': forged }), 'operate', untrusted)).toThrow(
      /x-ms-client-principal was sent, but this API never believes it outside a local host.*Entra access token/,
    );
    // Even a malformed one: the refusal is about where it came from, not what it says.
    expect(() => authorise(headers({ 'x-ms-client-principal': '%%' }), 'read', untrusted)).toThrow(
      /never believes it outside a local host/,
    );
    // The key alone still works, as the caller `function-key`.
    expect(authorise(headers({}), 'operate', untrusted).via).toBe('function-key');
    // Requiring a principal where none can be trustworthy says what is misconfigured.
    expect(() => authorise(headers({}), 'read', { ...untrusted, requirePrincipal: true })).toThrow(
      /DR_REQUIRE_PRINCIPAL=true, but Entra sign-in is not configured/,
    );
  });

  it('trusts the header only where a local host opts in, never because WEBSITE_AUTH_ENABLED says so', () => {
    expect(httpSettingsFrom({})).toEqual({
      requirePrincipal: false,
      trustPrincipal: false,
      keyIsOperator: false,
    });
    // App Service Authentication does not run on Flex Consumption: its signal vouches for nothing.
    expect(httpSettingsFrom({ WEBSITE_AUTH_ENABLED: 'True' }).trustPrincipal).toBe(false);
    expect(httpSettingsFrom({ WEBSITE_AUTH_ENABLED: 'False' }).trustPrincipal).toBe(false);
    expect(httpSettingsFrom({ WEBSITE_AUTH_ENABLED: 'False' }, { principal: true }).trustPrincipal).toBe(
      true,
    );
    expect(httpSettingsFrom({ DR_REQUIRE_PRINCIPAL: 'TRUE' }).requirePrincipal).toBe(true);
  });

  it('lets a key alone operate only with DR_KEY_IS_OPERATOR=true or a local opt-in, never with DR_REQUIRE_PRINCIPAL', () => {
    expect(httpSettingsFrom({ DR_KEY_IS_OPERATOR: 'true' }).keyIsOperator).toBe(true);
    expect(httpSettingsFrom({ DR_KEY_IS_OPERATOR: 'True' }).keyIsOperator).toBe(true);
    for (const off of [undefined, '', 'false', 'yes', '1'])
      expect(httpSettingsFrom({ DR_KEY_IS_OPERATOR: off }).keyIsOperator, String(off)).toBe(false);
    expect(httpSettingsFrom({}, { keyIsOperator: true }).keyIsOperator).toBe(true);
    expect(httpSettingsFrom({ DR_KEY_IS_OPERATOR: 'true', DR_REQUIRE_PRINCIPAL: 'true' }).keyIsOperator).toBe(
      false,
    );
  });

  it('warns about key-only operators: named, with the risk, or saying the setting has no effect', () => {
    expect(keyIsOperatorWarning({})).toBeUndefined();
    expect(keyIsOperatorWarning({ DR_KEY_IS_OPERATOR: 'false' })).toBeUndefined();
    expect(keyIsOperatorWarning({ DR_KEY_IS_OPERATOR: 'true' })).toMatch(
      /^DR_KEY_IS_OPERATOR=true: any caller with a function key may fail over, fail back, pause and resume/,
    );
    expect(keyIsOperatorWarning({}, { keyIsOperator: true })).toMatch(
      /^key-is-operator \(opted in by this local host\): any caller with a function key may fail over/,
    );
    expect(keyIsOperatorWarning({ DR_KEY_IS_OPERATOR: 'true', DR_REQUIRE_PRINCIPAL: 'true' })).toBe(
      'DR_KEY_IS_OPERATOR=true has no effect: DR_REQUIRE_PRINCIPAL=true refuses callers with only a function key',
    );
  });

  it('logs the warning once, at the first route registration', () => {
    const warned: string[] = [];
    const log = { warn: (m: string) => void warned.push(m) };
    const unused = () => {
      throw new Error('not built at registration');
    };
    const httpRegistration = createHttpRegistration({
      api: { plan: unused, control: unused, settings: unused, now: unused },
      startupWarning: () => keyIsOperatorWarning({ DR_KEY_IS_OPERATOR: 'true' }),
      log,
    });
    expect(httpRegistration('status')[0]).toBe('drHttpStatus');
    httpRegistration('failover');
    expect(warned).toEqual([expect.stringMatching(/^HTTP API: DR_KEY_IS_OPERATOR=true: any caller/)]);
  });
});

/** A durable client whose monitor answers (or not) after a number of polls. */
function fakeMonitor(answerAfterPolls: number | undefined) {
  const raised: Signal[] = [];
  let polls = 0;
  const base: MonitorStatus = {
    planId: plan.id,
    state: initialMonitorState(),
    policy: policyOf(plan),
    pendingFences: [],
    answers: [],
    operationSeq: 0,
    executions: 1,
    updatedAt: '2026-03-02T08:00:00.000Z',
  };
  const client = {
    raised,
    async getStatus(id: string) {
      expect(id).toBe(monitorInstanceId(plan.id));
      polls += 1;
      const answered = raised.length > 0 && answerAfterPolls !== undefined && polls > answerAfterPolls;
      return {
        instanceId: id,
        createdTime: new Date(0),
        lastUpdatedTime: new Date(0),
        runtimeStatus: 'Running',
        customStatus: answered
          ? { ...base, answers: raised.map((s) => ({ id: s.id, status: 'applied' as const })) }
          : base,
      };
    },
    async startNew(): Promise<string> {
      throw new Error('the monitor is alive: ensureMonitor must not start another');
    },
    async raiseEvent(_id: string, _name: string, data: unknown) {
      raised.push(data as Signal);
    },
  };
  return client;
}

describe('waiting for the monitor\u2019s answer', () => {
  const signal: Signal = { kind: 'resume', id: 'http-resume-k1', caller: { by: 'x', reason: '' } };

  it('polls until the answer appears, raising the signal once', async () => {
    const client = fakeMonitor(3);
    const slept: number[] = [];
    const asked = await askMonitor(client, plan, signal, {
      waitMs: 15_000,
      sleep: async (ms) => void slept.push(ms),
      idempotencyKey: 'k1',
    });
    expect(asked).toMatchObject({ answer: { id: 'http-resume-k1', status: 'applied' }, replayed: false });
    expect(client.raised).toHaveLength(1);
    expect(slept).toEqual([20, 40]);
  });

  it('gives up after the bounded wait with a 503 that names the key to retry with; the retry is a replay', async () => {
    const client = fakeMonitor(undefined);
    const slept: number[] = [];
    const error = await askMonitor(client, plan, signal, {
      waitMs: 2_000,
      sleep: async (ms) => void slept.push(ms),
      idempotencyKey: 'k1',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MonitorUnavailableError);
    expect((error as MonitorUnavailableError).body()).toEqual({
      error: expect.stringContaining('repeat it with Idempotency-Key k1'),
      idempotencyKey: 'k1',
    });
    expect(slept.reduce((a, b) => a + b, 0)).toBe(2_000);
    expect(Math.max(...slept)).toBeLessThanOrEqual(500);

    const late = fakeMonitor(0);
    late.raised.push(signal); // the first request's signal, answered later
    const again = await askMonitor(late, plan, signal, {
      waitMs: 2_000,
      sleep: async () => {},
      idempotencyKey: 'k1',
    });
    expect(again.replayed).toBe(true);
    expect(late.raised).toHaveLength(1);
  });
});

describe('status view and predicted RTO', () => {
  it('the actuation counts the ARM latency observed, so it bounds a slow ARM, and says what it assumes', () => {
    const policy = policyOf(plan);
    const unobserved = predictRto(plan, policy);
    expect(unobserved.actuation).toContain(
      'ARM latency not counted: this instance has had no ARM answer yet',
    );
    // The example plan measured 7.0 s of actuation with ARM answering in 400 ms (3.0 s was predicted).
    const slow = predictRto(plan, policy, 400);
    expect(slow.actuationMs).toBeGreaterThanOrEqual(7_000);
    expect(slow.actuationMs - unobserved.actuationMs).toBe(16 * 400); // 1 planning + 3 groups x 5 trips
    expect(slow.actuation).toContain('16 sequential ARM round trips x 400 ms (the slowest of the last ARM');
    expect(slow.totalMs).toBe(slow.detectionMs + slow.actuationMs);
  });

  it('window policy: k of n counted, detection bound from window.failures', () => {
    const policy = { ...policyOf(plan), window: { failures: 4, of: 6 } } as ReturnType<typeof policyOf>;
    delete (policy as { failureThreshold?: number }).failureThreshold;
    const rto = predictRto(plan, policy);
    // Four probe intervals, the probe timeout, and five queue hops of at most 2 s (host.json).
    expect(rto.detectionMs).toBe(4 * 30_000 + 10_000 + 5 * 2_000);
    expect(rto.detection).toContain('+ 5 queue hops x PT2S');
    expect(rto.detection).toContain('(4 of the last 6)');
    const state = {
      ...initialMonitorState(),
      recentOutcomes: [true, false, true, true, false, false],
      consecutiveFailures: 0,
    };
    const view = statusView({
      plan,
      planPolicy: policy,
      monitor: {
        planId: plan.id,
        state,
        policy,
        pendingFences: [],
        answers: [],
        operationSeq: 0,
        executions: 3,
        updatedAt: 'x',
      },
      instanceId: 'm',
      runtimeStatus: 'Terminated',
      now: new Date('2026-03-02T08:00:00Z'),
      auth: { requirePrincipal: false, trustPrincipal: true, keyIsOperator: false },
    });
    expect(view.failures).toMatchObject({
      counted: 3,
      needed: 4,
      consecutive: 0,
      window: { failures: 4, of: 6 },
    });
    expect(view.failures.rule).toBe('3 of the last 6 probes failed; 4 trigger a failover');
    expect(view.monitor.warning).toContain('the monitor is Terminated');
  });

  it('an expired pause is not shown as paused', () => {
    const state = {
      ...initialMonitorState(),
      pause: { until: '2026-03-02T07:59:59Z', by: 'x', reason: 'y' },
    };
    const view = statusView({
      plan,
      planPolicy: policyOf(plan),
      monitor: {
        planId: plan.id,
        state,
        policy: policyOf(plan),
        pendingFences: [],
        answers: [],
        operationSeq: 0,
        executions: 1,
        updatedAt: 'x',
      },
      instanceId: 'm',
      runtimeStatus: 'Running',
      now: new Date('2026-03-02T08:00:00Z'),
      auth: { requirePrincipal: true, trustPrincipal: true, keyIsOperator: false },
    });
    expect(view).toMatchObject({ mode: 'monitoring', pause: null });
    expect(view.auth).toEqual({ keyIsOperator: false, requirePrincipal: true, principalTrusted: true });
  });

  it('says what withholds an automatic failover every cycle, structured and in dr status (issue 22 §6)', () => {
    const now = new Date('2026-03-02T08:00:00Z');
    const policy = { ...policyOf(plan), automaticFailover: false };
    const state = {
      ...initialMonitorState(),
      mode: 'degraded' as const,
      consecutiveFailures: 9,
      lastFailoverAt: '2026-03-02T07:50:00.000Z',
      pause: { until: '2026-03-02T09:00:00.000Z', by: 'oncall@contoso.com', reason: 'maintenance' },
    };
    const monitor: MonitorStatus = {
      planId: plan.id,
      state,
      policy,
      pendingFences: [],
      answers: [],
      operationSeq: 1,
      executions: 3,
      updatedAt: 'x',
    };
    const auth = { requirePrincipal: false, trustPrincipal: false, keyIsOperator: false };
    const at = { plan, planPolicy: policy, monitor, instanceId: 'm', runtimeStatus: 'Running', now, auth };
    const view = statusView(at);
    const cooldownEnds = new Date(Date.parse(state.lastFailoverAt) + 30 * 60_000).toISOString();
    expect(view.withheld).toEqual([
      {
        by: 'pause',
        until: '2026-03-02T09:00:00.000Z',
        who: 'oncall@contoso.com',
        reason: 'paused until 2026-03-02T09:00:00.000Z by oncall@contoso.com',
      },
      { by: 'automatic-off', reason: 'automatic failover is off' },
      {
        by: 'cooldown',
        until: cooldownEnds,
        reason: `cooldown until ${cooldownEnds} (detection doubled: fails over at 6 failed probes in a row)`,
      },
    ]);
    expect(renderStatus(view)).toContain(
      `automatic failover withheld: paused until 2026-03-02T09:00:00.000Z by oncall@contoso.com; automatic failover is off; cooldown until ${cooldownEnds}`,
    );
    // The cooldown over, the pause expired, automatic failover on: nothing withholds, and nothing is said.
    const later = new Date('2026-03-02T10:00:00Z');
    const free = statusView({ ...at, now: later, monitor: { ...monitor, policy: policyOf(plan) } });
    expect(free.withheld).toEqual([]);
    expect(renderStatus(free)).not.toContain('withheld');
    // Failed over, the question is not asked: no automatic failover is pending.
    const over = { ...state, mode: 'failed-over' as const, activeRegion: 'secondary' as const };
    expect(statusView({ ...at, monitor: { ...monitor, state: over } }).withheld).toEqual([]);
  });

  it('a partial failover says so: the mode qualified, each entry that did not move named with why (issue 22 §6)', () => {
    const now = new Date('2026-03-02T08:30:00Z');
    const summary = {
      operationId: 'failover-1-20260302T080000',
      direction: 'failover' as const,
      trigger: 'automatic' as const,
      startedAt: '2026-03-02T08:00:00.000Z',
      finishedAt: '2026-03-02T08:03:00.000Z',
      outcome: 'completed-with-errors' as const,
    };
    const step = (op: string, label: string, status: string) => ({
      action: { op, target: { region: label.split(':')[0], label } },
      status,
      at: summary.startedAt,
    });
    const blocked =
      'not activating secondary:order-webhook: the fence of primary:order-webhook failed (gave up)';
    // An audit record written before the record carried its list: the status computes it from the entries.
    const record = {
      operationId: summary.operationId,
      planId: plan.id,
      request: automaticFailoverRequest(),
      status: 'completed-with-errors',
      entries: [
        {
          entry: 'order-webhook',
          group: 0,
          blocked,
          steps: [
            step('disable', 'primary:order-webhook', 'failed'),
            step('enable', 'secondary:order-webhook', 'blocked'),
          ],
        },
        {
          entry: 'invoice-sync',
          group: 0,
          steps: [
            step('pending-fence', 'primary:invoice-sync', 'pending-fence'),
            step('enable', 'secondary:invoice-sync', 'done'),
          ],
        },
        { entry: 'order-api', group: 0, steps: [step('enable', 'secondary:order-api', 'done')] },
      ],
      pendingFences: [],
      rto: {},
    } as unknown as OperationRecord;
    const state = {
      ...initialMonitorState(),
      mode: 'failed-over' as const,
      activeRegion: 'secondary' as const,
    };
    const monitor: MonitorStatus = {
      planId: plan.id,
      state,
      policy: policyOf(plan),
      lastOperation: summary,
      pendingFences: [{ label: 'primary:invoice-sync' } as WorkflowTarget],
      answers: [],
      operationSeq: 1,
      executions: 3,
      updatedAt: 'x',
    };
    const auth = { requirePrincipal: false, trustPrincipal: false, keyIsOperator: false };
    const at = {
      plan,
      planPolicy: policyOf(plan),
      monitor,
      instanceId: 'm',
      runtimeStatus: 'Running',
      now,
      auth,
      lastRecord: record,
    };
    const view = statusView(at);
    expect(view.mode).toBe('failed-over');
    expect(view.modeDetail).toBe(
      'failed-over (partial: order-webhook did not move; 1 entry not fenced yet in the other region)',
    );
    expect(view.moved).toEqual({
      operationId: summary.operationId,
      direction: 'failover',
      extent: 'partial',
      notMoved: [
        { entry: 'order-webhook', why: 'blocked', reason: blocked },
        expect.objectContaining({
          entry: 'invoice-sync',
          why: 'pending-fence',
          fences: ['primary:invoice-sync'],
        }),
      ],
    });
    const text = renderStatus(view);
    // The fence still pending qualifies the header too: both regions may run invoice-sync (audit finding 3).
    expect(text).toMatch(
      /^plan .*: FAILED-OVER \(PARTIAL; 1 FENCE PENDING: BOTH REGIONS MAY RUN\), active region secondary/,
    );
    expect(text).toContain(`not moved (blocked): order-webhook: ${blocked}`);
    expect(text).toContain(
      'moved, not fenced yet: invoice-sync: primary:invoice-sync is not disabled yet and may still run',
    );

    // The pending fence applied since: no longer named.
    const fenced = statusView({ ...at, monitor: { ...monitor, pendingFences: [] } });
    expect(fenced.moved?.notMoved.map((n) => n.entry)).toEqual(['order-webhook']);
    // An emergency failover that moved nothing says so, and is never shown as a plain failed-over.
    const nothing = { ...record, entries: record.entries.slice(0, 1) };
    // (Nothing moved, so no fence of it is pending either.)
    const none = statusView({ ...at, lastRecord: nothing, monitor: { ...monitor, pendingFences: [] } });
    expect(none.moved?.extent).toBe('none');
    expect(none.modeDetail).toBe('failed-over (the failover moved nothing: order-webhook did not move)');
    expect(renderStatus(none)).toMatch(/FAILED-OVER \(NOTHING MOVED\), active region secondary/);
    // dr operation says it too, from the audit record's own list.
    expect(
      renderOperation({
        operationId: record.operationId,
        status: 'completed-with-errors',
        runtimeStatus: 'Completed',
        createdAt: summary.startedAt,
        updatedAt: summary.finishedAt,
        record: { ...record, moved: 'partial', notMoved: view.moved!.notMoved },
      }),
    ).toContain(`moved: PARTIAL\n  not moved (blocked): order-webhook: ${blocked}`);
    // A whole failover: the mode alone.
    const whole = { ...record, entries: record.entries.slice(2) };
    expect(statusView({ ...at, lastRecord: whole })).toMatchObject({
      modeDetail: 'failed-over',
      moved: { extent: 'all', notMoved: [] },
    });
  });

  it('a running operation an operator is stopping says so: by whom, why, and what supersedes it', () => {
    const running = {
      operationId: 'failover-1-20260302T080000',
      direction: 'failover' as const,
      trigger: 'automatic' as const,
      startedAt: '2026-03-02T08:00:00Z',
    };
    const view = statusView({
      plan,
      planPolicy: policyOf(plan),
      monitor: {
        planId: plan.id,
        state: { ...initialMonitorState(), mode: 'failing-over' },
        policy: policyOf(plan),
        pendingFences: [],
        answers: [],
        operationSeq: 2,
        executions: 1,
        updatedAt: 'x',
        activeOperation: running,
        stopping: {
          operationId: running.operationId,
          outcome: 'superseded',
          caller: { by: 'oncall@contoso', reason: 'ARM broken' },
          at: '2026-03-02T08:00:05Z',
          supersededBy: 'failover-2-20260302T080005',
        },
      },
      instanceId: 'm',
      runtimeStatus: 'Running',
      now: new Date('2026-03-02T08:00:06Z'),
      auth: { requirePrincipal: true, trustPrincipal: true, keyIsOperator: false },
    });
    expect(view.currentOperation?.stopping).toEqual({
      outcome: 'superseded',
      by: 'oncall@contoso',
      reason: 'ARM broken',
      at: '2026-03-02T08:00:05Z',
      supersededBy: 'failover-2-20260302T080005',
    });
  });

  it('last failover: from the monitor summary alone when the record was purged; a crash says why', () => {
    const summary = {
      operationId: 'failover-1-20260302T080000',
      direction: 'failover' as const,
      trigger: 'automatic' as const,
      startedAt: '2026-03-02T08:00:00.000Z',
      finishedAt: '2026-03-02T08:01:00.000Z',
      outcome: 'succeeded' as const,
    };
    expect(lastFailoverView(plan.id, undefined)).toBeNull();
    expect(lastFailoverView(plan.id, { summary })).toEqual({
      operationId: summary.operationId,
      trigger: 'automatic',
      outcome: 'succeeded',
      startedAt: summary.startedAt,
      finishedAt: summary.finishedAt,
      pendingFences: [],
    });
    const crashed = lastFailoverView(plan.id, {
      instance: {
        instanceId: `dr-op-${plan.id}-failover-2-20260302T090000`,
        createdTime: '2026-03-02T09:00:00.000Z',
        lastUpdatedTime: '2026-03-02T09:00:05.000Z',
        runtimeStatus: 'Failed',
        output: 'Orchestrator function failed: boom',
        input: {
          request: {
            direction: 'failover',
            kind: 'emergency',
            trigger: 'manual',
            caller: { by: 'oncall@contoso.com', reason: 'outage' },
            override: [],
          },
        },
      },
    });
    expect(crashed).toEqual({
      operationId: 'failover-2-20260302T090000',
      trigger: 'manual',
      kind: 'emergency',
      by: 'oncall@contoso.com',
      reason: 'outage',
      outcome: 'failed',
      startedAt: '2026-03-02T09:00:00.000Z',
      finishedAt: '2026-03-02T09:00:05.000Z',
      pendingFences: [],
      error: 'Orchestrator function failed: boom',
    });
  });
});

describe('history paging', () => {
  const instance = (id: string, created: string, extra: Partial<InstanceInfo> = {}): InstanceInfo => ({
    name: 'drOperation',
    instanceId: `dr-op-${plan.id}-${id}`,
    createdTime: created,
    lastUpdatedTime: created,
    runtimeStatus: 'Completed',
    output: null,
    ...extra,
  });

  it('only this plan\u2019s operations, newest first; equal times ordered by sequence; crashed ones show their error', () => {
    const page = historyPage(
      plan.id,
      [
        instance('failover-1-a', '2026-03-02T08:00:00Z'),
        instance('failback-2-a', '2026-03-02T09:00:00Z', { runtimeStatus: 'Failed', output: 'boom' }),
        instance('failover-3-a', '2026-03-02T09:00:00Z', { runtimeStatus: 'Running' }),
        { ...instance('x', '2026-03-02T10:00:00Z'), instanceId: 'dr-op-other-plan-failover-1-a' },
        { ...instance('entry-1', '2026-03-02T10:00:00Z'), name: 'drApplyEntry' },
      ],
      { limit: 10 },
    );
    expect(page.items.map((i) => [i.operationId, i.status, i.direction])).toEqual([
      ['failover-3-a', 'running', 'failover'],
      ['failback-2-a', 'failed', 'failback'],
      ['failover-1-a', 'completed', 'failover'],
    ]);
    expect(page.items[1]!.error).toBe('boom');
    expect(page.items[0]!.finishedAt).toBeUndefined();
  });
});

describe('redaction of SDK error text before it is logged', () => {
  it('masks function keys, callback signatures and Service Bus keys', () => {
    const text = redactSecrets(
      'GET https://x/api/status?code=abc123&x=1 failed; https://la/triggers/manual/run?api-version=1&sig=SIGSIG; Endpoint=sb://n/;SharedAccessKeyName=R;SharedAccessKey=KEYKEY; headers {"x-functions-key":"k-1"}',
    );
    for (const secret of ['abc123', 'SIGSIG', 'KEYKEY', 'k-1']) expect(text).not.toContain(secret);
    expect(text).toContain('code=***&x=1');
    expect(text).toContain('SharedAccessKeyName=R');
  });
});

describe('secrets and operator text on their way to a log', () => {
  it('masks the key in a URL user info (the local host RPC base URL) and in ?sig=', () => {
    const text = redactSecrets(
      'POST http://system:K3Y-s3cret_@127.0.0.1:7071/durabletask/x?a=1&sig=S1G failed',
    );
    expect(text).not.toContain('K3Y-s3cret_');
    expect(text).not.toContain('S1G');
    expect(text).toContain('http://system:***@127.0.0.1:7071/durabletask/x?a=1&sig=***');
    expect(redactSecrets('https://host:443/path@x')).toBe('https://host:443/path@x');
  });

  it('plainText drops escape sequences and control characters and turns line breaks into spaces', () => {
    expect(plainText('a\u001b[1;31mb\u001b[0m\u001b]8;;http://x\u0007c\u001b\\d')).toBe('abcd');
    expect(plainText('one\ntwo\r\nthree\tfour\u2028five')).toBe('one two  three four five');
    expect(plainText('x\u0000\u0008\u007f\u009b\u202ey')).toBe('xy');
    expect(plainText('Grüße — ok')).toBe('Grüße — ok');
  });

  it('keysMatch compares keys of any length without throwing', () => {
    expect(keysMatch('k-1', 'k-1')).toBe(true);
    expect(keysMatch('k-1', 'k-2')).toBe(false);
    expect(keysMatch('', 'k-1')).toBe(false);
    expect(keysMatch('k-1-and-much-longer', 'k-1')).toBe(false);
  });
});

describe('the API reads at most MAX_BODY_BYTES of a body', () => {
  const schema = z.object({ reason: z.string() });
  const request = (body: string, headers: Record<string, string> = {}) =>
    new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/failover',
      headers: { 'content-type': 'application/json', ...headers },
      body: { string: body },
    });

  it('413 when the body, or the Content-Length it announces, is over the cap', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(MAX_BODY_BYTES) });
    await expect(readBody(request(big), schema)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(
      readBody(request('{"reason":"x"}', { 'content-length': String(MAX_BODY_BYTES + 1) }), schema),
    ).rejects.toMatchObject({ status: 413 });
    await expect(readBody(request('{"reason":"ok"}'), schema)).resolves.toEqual({ reason: 'ok' });
  });
});
