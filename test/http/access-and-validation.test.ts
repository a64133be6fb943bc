/**
 * The HTTP API's gatekeeping against the real functions in the in-process host: function keys, App Service
 * principals and app roles, body/query/header validation with the field named, and the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLES } from '../../src/http/auth';
import { installLocalKeyIsOperator, installLocalPrincipalTrust } from '../../src/composition';
import { auditLines, inFuture, KEY, MIN, principal, startApiEstate, type ApiEstate } from './support';

let estate: ApiEstate;
beforeAll(async () => {
  estate = await startApiEstate();
  await estate.advance(MIN); // two watchdog ticks: the monitor runs and has its policy
});
afterAll(async () => estate?.stop());

const READER = principal('reader@contoso.com', [APP_ROLES.reader]);
const OPERATOR = principal('oncall@contoso.com', [APP_ROLES.operator]);
const NOBODY = principal('guest@contoso.com', []);
const GETS = ['status', 'history', 'openapi.json'] as const;
const POSTS = ['failover', 'failback', 'pause', 'resume'] as const;

describe('function keys (enforced by the host for authLevel function)', () => {
  it.each([...GETS.map((p) => ['GET', p] as const), ...POSTS.map((p) => ['POST', p] as const)])(
    '%s /api/%s: 401 without a key and with a wrong one',
    async (method, path) => {
      const body = method === 'POST' ? { body: {} } : {};
      expect((await estate.call(method, path, { key: null, ...body })).status).toBe(401);
      expect((await estate.call(method, path, { key: 'wrong-key', ...body })).status).toBe(401);
    },
  );

  it('the key works in the header and in ?code=, and ?code= is not mistaken for a query parameter', async () => {
    expect((await estate.call('GET', 'status')).status).toBe(200);
    expect((await estate.call('GET', 'status', { keyIn: 'query' })).status).toBe(200);
    expect((await estate.call('GET', 'history?limit=5', { keyIn: 'query' })).status).toBe(200);
  });
});

describe('App Service Authentication principals and app roles', () => {
  it.each([
    ['not base64', '%%%not-base64%%%'],
    ['base64 of something that is not JSON', Buffer.from('hello').toString('base64')],
    ['JSON without claims', Buffer.from(JSON.stringify({ auth_typ: 'aad' })).toString('base64')],
    [
      'claims that name nobody',
      Buffer.from(JSON.stringify({ claims: [{ typ: 'roles', val: APP_ROLES.operator }] })).toString('base64'),
    ],
  ])('401 for a malformed principal: %s (and the header is not echoed)', async (_why, header) => {
    const r = await estate.call('GET', 'status', { principal: header });
    expect(r.status).toBe(401);
    expect(r.body.error).toMatch(/x-ms-client-principal/);
    expect(r.text).not.toContain(header);
  });

  it('403 when a reader posts; readers and operators may read; a principal without a role may not', async () => {
    for (const path of POSTS) {
      const r = await estate.call('POST', path, {
        principal: READER,
        body: { reason: 'try', kind: 'emergency', until: inFuture(estate, MIN) },
      });
      expect(r.status, path).toBe(403);
      expect(r.body.error).toContain('reader@contoso.com lacks the app role Failover.Operator');
    }
    expect((await estate.call('GET', 'status', { principal: READER })).status).toBe(200);
    expect((await estate.call('GET', 'status', { principal: OPERATOR })).status).toBe(200);
    expect((await estate.call('GET', 'history', { principal: NOBODY })).status).toBe(403);
    expect(estate.operations()).toEqual([]);
  });

  it('DR_REQUIRE_PRINCIPAL=true: a function key alone gets 401, a principal with the role gets through', async () => {
    process.env.DR_REQUIRE_PRINCIPAL = 'true';
    try {
      const r = await estate.call('GET', 'status');
      expect(r.status).toBe(401);
      expect(r.body.error).toContain('DR_REQUIRE_PRINCIPAL');
      expect((await estate.call('POST', 'resume', { body: {} })).status).toBe(401);
      expect((await estate.call('GET', 'status', { principal: READER })).status).toBe(200);
    } finally {
      delete process.env.DR_REQUIRE_PRINCIPAL;
    }
    expect((await estate.call('GET', 'status')).status).toBe(200);
  });

  it('without a local opt-in a principal is a 401, even where WEBSITE_AUTH_ENABLED=True', async () => {
    installLocalPrincipalTrust(false);
    try {
      // A key holder claiming to be an operator: refused, audited as unauthenticated, nothing signalled.
      const answers = estate.monitor().answers.length;
      const forged = await estate.call('POST', 'pause', {
        principal: OPERATOR,
        body: { reason: 'forged', until: inFuture(estate, MIN) },
      });
      expect(forged.status).toBe(401);
      expect(forged.body.error).toContain('never believes it outside a local host');
      expect(forged.body.error).toContain('Entra access token');
      expect((await estate.call('GET', 'status', { principal: READER })).status).toBe(401);
      expect(estate.monitor().answers).toHaveLength(answers);
      expect(auditLines(estate.logs).at(-1)).toMatchObject({
        route: 'POST /api/pause',
        caller: 'unauthenticated',
        outcome: 'denied',
      });
      // The key alone still works.
      expect((await estate.call('GET', 'status')).status).toBe(200);
      // App Service Authentication's signal does not make the header trustworthy (it does not run on Flex).
      process.env.WEBSITE_AUTH_ENABLED = 'True';
      expect((await estate.call('GET', 'status', { principal: READER })).status).toBe(401);
      expect((await estate.call('POST', 'resume', { principal: OPERATOR, body: {} })).status).toBe(401);
    } finally {
      delete process.env.WEBSITE_AUTH_ENABLED;
      installLocalPrincipalTrust(true);
    }
  });

  it("the principal's name is the caller: it goes into the monitor's pause and the audit line", async () => {
    const until = inFuture(estate, 30 * MIN);
    const r = await estate.call('POST', 'pause', {
      principal: OPERATOR,
      body: { reason: 'patching', until },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'applied',
      mode: 'paused',
      pause: { until, by: 'oncall@contoso.com', reason: 'patching' },
    });
    expect(estate.monitor().state.pause).toMatchObject({ by: 'oncall@contoso.com' });
    const audit = auditLines(estate.logs).filter((a) => a.route === 'POST /api/pause' && a.status === 200);
    expect(audit.at(-1)).toMatchObject({
      caller: 'oncall@contoso.com',
      via: 'principal',
      outcome: 'ok',
      reason: 'patching',
    });
    const resumed = await estate.call('POST', 'resume', { principal: OPERATOR });
    expect(resumed.body).toMatchObject({ status: 'applied', mode: 'monitoring', pause: null });
  });
});

describe('request validation: 400 naming the field, nothing signalled', () => {
  const signalsSoFar = () => estate.monitor().answers.length;

  it.each([
    ['failover', {}, ['reason', 'kind']],
    ['failover', { reason: 'x', kind: 'sideways' }, ['kind']],
    ['failover', { reason: '   ', kind: 'planned' }, ['reason']],
    ['failover', { reason: 'x', kind: 'planned', override: ['no-such-rule'] }, ['override.0']],
    ['failover', { reason: 'x', kind: 'planned', dryRun: 'yes' }, ['dryRun']],
    ['failover', { reason: 'x', kind: 'planned', region: 'northeurope' }, ['region']],
    ['failback', { reason: 'x', force: 1 }, ['force']],
    ['failback', { reason: 'x', kind: 'emergency' }, ['kind']],
    ['pause', { reason: 'x' }, ['until']],
    ['pause', { reason: 'x', until: 'tomorrow' }, ['until']],
    ['pause', { reason: 'x', until: '2026-03-02T18:00:00' }, ['until']],
    ['resume', { by: 'me' }, ['by']],
  ])('POST %s %j: 400 naming %j', async (path, body, fields) => {
    const before = signalsSoFar();
    const r = await estate.call('POST', path, { body });
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { path: string }) => i.path).sort()).toEqual([...fields].sort());
    expect(r.body.error).toContain(fields[0]);
    expect(signalsSoFar()).toBe(before);
  });

  it('operator text is bounded in UTF-16 bytes and lone surrogates are refused: 400 naming the field, nothing signalled', async () => {
    const before = signalsSoFar();
    const until = inFuture(estate, 30 * MIN);
    const lone = await estate.call('POST', 'pause', { body: { reason: 'patching \ud800 now', until } });
    expect(lone.status).toBe(400);
    expect(lone.body.issues).toEqual([
      { path: 'reason', message: expect.stringMatching(/^contains a lone surrogate/) },
    ]);
    // 1,000 characters, but each escaped in the stored JSON: 4,000 bytes of UTF-16 text.
    const escaped = await estate.call('POST', 'pause', { body: { reason: '"'.repeat(1000), until } });
    expect(escaped.status).toBe(400);
    expect(escaped.body.issues[0].message).toBe(
      'is 4000 bytes as UTF-16 text; at most 2000 (1000 plain characters)',
    );
    // A principal named by 1,500 lone surrogates once pushed the monitor's custom status past 16 KB.
    const name = principal('\ud800'.repeat(1500), [APP_ROLES.operator]);
    const r = await estate.call('POST', 'pause', { principal: name, body: { reason: 'patching', until } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^invalid x-ms-client-principal: name: contains a lone surrogate/);
    const long = principal(`${'a'.repeat(300)}@contoso.com`, [APP_ROLES.operator]);
    const r2 = await estate.call('POST', 'pause', { principal: long, body: { reason: 'patching', until } });
    expect(r2.status).toBe(400);
    expect(r2.body.error).toMatch(/name: is 624 bytes as UTF-16 text; at most 512/);
    expect(signalsSoFar()).toBe(before);
    expect(estate.monitor().state.pause).toBeUndefined();
  });

  it('an unknown override names the known rules', async () => {
    const r = await estate.call('POST', 'failover', {
      body: { reason: 'x', kind: 'planned', override: ['yolo'] },
    });
    expect(r.body.issues[0].message).toContain('no-dual-active, every-entry-runs');
  });

  it('pause: until in the past, or beyond the plan\u2019s maxPause (PT8H), is a 400 naming the limit', async () => {
    const past = await estate.call('POST', 'pause', { body: { reason: 'x', until: inFuture(estate, -MIN) } });
    expect(past.status).toBe(400);
    expect(past.body.issues).toEqual([
      { path: 'until', message: expect.stringContaining('must be in the future') },
    ]);
    const far = await estate.call('POST', 'pause', {
      body: { reason: 'x', until: inFuture(estate, 9 * 60 * MIN) },
    });
    expect(far.status).toBe(400);
    expect(far.body.issues[0]).toMatchObject({ path: 'until' });
    expect(far.body.issues[0].message).toContain('maxPause (PT8H)');
    expect(far.body.issues[0].message).toContain(inFuture(estate, 8 * 60 * MIN));
    const ok = await estate.call('POST', 'pause', {
      body: { reason: 'x', until: inFuture(estate, 8 * 60 * MIN) },
    });
    expect(ok.status).toBe(200);
    expect((await estate.call('POST', 'resume')).status).toBe(200);
  });

  it('wrong content type: 415; malformed JSON: 400; a bad Idempotency-Key: 400; curl -d style JSON accepted', async () => {
    const text = await estate.call('POST', 'failover', {
      raw: 'reason=x&kind=planned',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(text.status).toBe(415);
    expect(text.body.error).toContain('application/json');
    // No content type given: fetch sends text/plain, which is not JSON.
    expect((await estate.call('POST', 'failover', { raw: '{"reason":"x"', contentType: null })).status).toBe(
      415,
    );
    expect(
      (await estate.call('POST', 'failover', { raw: '<reason>x</reason>', contentType: 'application/xml' }))
        .status,
    ).toBe(415);
    const curl = await estate.call('POST', 'failover', {
      raw: '{"reason":"x","kind":"planned","dryRun":true}',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(curl.status).toBe(200);
    const broken = await estate.call('POST', 'failover', { raw: '{"reason":"x",' });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toContain('not valid JSON');
    const key = await estate.call('POST', 'resume', { body: {}, idempotencyKey: 'has spaces in it' });
    expect(key.status).toBe(400);
    expect(key.body.issues).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
  });

  it.each([
    ['history?limit=0', 'limit'],
    ['history?limit=101', 'limit'],
    ['history?limit=ten', 'limit'],
    ['history?limit=2.5', 'limit'],
    ['history?page=2', 'page'],
    ['history?before=failover-9-20990101T000000', 'before'],
    ['history?before=../../etc', 'before'],
  ])('GET %s: 400 naming %s', async (path, field) => {
    const r = await estate.call('GET', path);
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual([field]);
  });

  it('GET operations/{id}: 404 for an unknown operation, 400 for an id that cannot be one', async () => {
    const missing = await estate.call('GET', 'operations/failover-7-20260302T080000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('no operation failover-7-20260302T080000 in plan contoso-orders-dr');
    expect((await estate.call('GET', 'operations/%20bad%20')).status).toBe(400);
  });

  it('every POST wrote exactly one audit line with caller, route and outcome, refusals included', async () => {
    const audit = auditLines(estate.logs);
    expect(audit).toHaveLength(estate.keyedPosts);
    expect(audit.length).toBeGreaterThan(20);
    for (const a of audit) {
      expect(a).toMatchObject({
        route: expect.stringMatching(/^POST \/api\//),
        caller: expect.any(String),
        status: expect.any(Number),
      });
      expect(['ok', 'accepted', 'invalid', 'denied', 'refused', 'unavailable']).toContain(a.outcome);
    }
    expect(new Set(audit.map((a) => a.invocationId)).size).toBe(audit.length);
    expect(audit.some((a) => a.outcome === 'denied' && a.caller === 'reader@contoso.com')).toBe(true);
    expect(audit.some((a) => a.outcome === 'invalid' && a.caller === 'function-key')).toBe(true);
    // GETs are not audited.
    expect(audit.some((a) => String(a.route).startsWith('GET'))).toBe(false);
  });

  it('no secret in any log line or response: function key, principal blobs', async () => {
    const everything = [...estate.logs.map((l) => l.message), ...estate.responses].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('wrong-key');
    expect(everything).not.toContain(OPERATOR);
  });
});

describe('a function key alone is a reader unless key-is-operator is on', () => {
  // The default deployment: no DR_KEY_IS_OPERATOR, no local opt-in (the support's opt-in turned off).
  beforeAll(() => installLocalKeyIsOperator(false));
  afterAll(() => installLocalKeyIsOperator(true));

  const POST_BODIES: Record<(typeof POSTS)[number], () => object> = {
    failover: () => ({ reason: 'leaked key', kind: 'emergency' }),
    failback: () => ({ reason: 'leaked key', force: true }),
    pause: () => ({ reason: 'leaked key', until: inFuture(estate, 30 * MIN) }),
    resume: () => ({ reason: 'leaked key' }),
  };

  it('default settings: every key-only POST is 403 naming the ways out, audited as denied, nothing signalled', async () => {
    const answers = estate.monitor().answers.length;
    const operations = estate.operations().length;
    const auditBefore = auditLines(estate.logs).length;
    for (const path of POSTS) {
      const r = await estate.call('POST', path, { body: POST_BODIES[path]() });
      expect(r.status, path).toBe(403);
      expect(r.body.error).toContain('a function key alone may read but not change the failover state');
      expect(r.body.error).toContain('an Entra access token with the app role');
      expect(r.body.error).toContain('DR_KEY_IS_OPERATOR=true');
    }
    // Idempotency keys and dry runs do not get around it either.
    const dry = await estate.call('POST', 'failover', {
      body: { reason: 'x', kind: 'planned', dryRun: true },
      idempotencyKey: 'leaked-1',
    });
    expect(dry.status).toBe(403);
    await estate.advance(MIN);
    expect(estate.monitor().answers).toHaveLength(answers);
    expect(estate.operations()).toHaveLength(operations);
    expect(estate.monitor().state.pause).toBeUndefined();
    const audit = auditLines(estate.logs).slice(auditBefore);
    expect(audit).toHaveLength(POSTS.length + 1);
    for (const a of audit)
      expect(a).toMatchObject({
        caller: 'function-key',
        via: 'function-key',
        status: 403,
        outcome: 'denied',
      });
    // Reading still works with the key alone, and the status says why POSTs are refused.
    const status = await estate.call('GET', 'status');
    expect(status.status).toBe(200);
    expect(status.body.auth).toEqual({
      keyIsOperator: false,
      requirePrincipal: false,
      principalTrusted: true,
    });
    expect((await estate.call('GET', 'history')).status).toBe(200);
  });

  it('app roles still decide for principals: a reader is 403, an operator is accepted', async () => {
    const reader = await estate.call('POST', 'failover', {
      principal: READER,
      body: { reason: 'try', kind: 'emergency' },
    });
    expect(reader.status).toBe(403);
    expect(reader.body.error).toContain('reader@contoso.com lacks the app role Failover.Operator');
    const accepted = await estate.call('POST', 'failover', {
      principal: OPERATOR,
      body: { reason: 'drill', kind: 'emergency' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe('accepted');
    await estate.advance(5 * MIN);
    expect(estate.operations().at(-1)?.output?.request.caller).toEqual({
      by: 'oncall@contoso.com',
      reason: 'drill',
    });
  });

  it('DR_KEY_IS_OPERATOR=true: a key alone operates again, and the status page says so', async () => {
    process.env.DR_KEY_IS_OPERATOR = 'true';
    try {
      const status = await estate.call('GET', 'status');
      expect(status.body.auth).toEqual({
        keyIsOperator: true,
        requirePrincipal: false,
        principalTrusted: true,
      });
      const r = await estate.call('POST', 'pause', {
        body: { reason: 'key holder', until: inFuture(estate, 30 * MIN) },
      });
      expect(r.status).toBe(200);
      expect(estate.monitor().state.pause).toMatchObject({ by: 'function-key', reason: 'key holder' });
      expect(auditLines(estate.logs).at(-1)).toMatchObject({
        route: 'POST /api/pause',
        caller: 'function-key',
        via: 'function-key',
        outcome: 'ok',
      });
      expect((await estate.call('POST', 'resume', { body: {} })).status).toBe(200);
      // DR_REQUIRE_PRINCIPAL=true overrides it: no key-only callers at all.
      process.env.DR_REQUIRE_PRINCIPAL = 'true';
      expect((await estate.call('POST', 'resume', { body: {} })).status).toBe(401);
      const required = await estate.call('GET', 'status', { principal: READER });
      expect(required.body.auth).toEqual({
        keyIsOperator: false,
        requirePrincipal: true,
        principalTrusted: true,
      });
    } finally {
      delete process.env.DR_KEY_IS_OPERATOR;
      delete process.env.DR_REQUIRE_PRINCIPAL;
    }
  });
});
