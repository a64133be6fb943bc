/**
 * `dr status|failover|failback|pause|resume|cancel` against the real functions running in the in-process host,
 * over HTTP, with the function key from flags or the environment. Virtual time starts at the wall clock so
 * `pause --for` (computed from the wall clock) means the same to the CLI and to the API.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDr } from '../support/cli';
import { installLocalKeyIsOperator } from '../../src/composition';
import { KEY, MIN, startApiEstate, type ApiEstate } from '../http/support';

let estate: ApiEstate;
let env: Record<string, string>;
beforeAll(async () => {
  estate = await startApiEstate({ start: new Date(Math.floor(Date.now() / MIN) * MIN) });
  env = { DR_API_URL: `${estate.host.url}/api`, DR_API_KEY: KEY };
});
afterAll(async () => estate?.stop());

/** A port nothing listens on: bound to a free port, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function dr(args: string[], withEnv: Record<string, string> = env) {
  const { code, out, err } = await runDr(args, withEnv);
  expect(err, 'no stack traces').not.toMatch(/\n\s+at /);
  expect(out + err, 'the key is never printed').not.toContain(KEY);
  return { code, out, err };
}

describe('dr remote commands over HTTP', () => {
  it('status before the monitor runs: exit 1 with the API\u2019s reason', async () => {
    const r = await dr(['status']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('dr status: 503: the monitor of plan contoso-orders-dr is not running yet');
    await estate.advance(MIN);
  });

  it('status: readable by default, JSON with --json; --url/--key override the environment', async () => {
    const r = await dr(['status']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('plan contoso-orders-dr: MONITORING, active region primary (westeurope)');
    expect(r.out).toContain('failures: 0 of 3 consecutive failed probes');
    expect(r.out).toMatch(/last probes: ok ok \(latest /);
    // 1 m 40 s of detection + 5 queue hops x 2 s; 3 s for the groups + (2 + 8 x 3) queue hops x 2 s + the round
    // trips at the ARM latency observed so far.
    expect(r.out).toMatch(/predicted RTO PT2M4[5-9](\.\d+)?S: detection 3 failed probe\(s\) x PT30S/);
    const j = await dr(['status', '--json', '--url', `${estate.host.url}/api/`, '--key', KEY], {});
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({
      planId: 'contoso-orders-dr',
      mode: 'monitoring',
      activeRegion: 'primary',
    });
  });

  it('a missing or wrong key, or an unreachable API: exit 1 with a clear message', async () => {
    const wrong = await dr(['status', '--key', 'not-the-key']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('401');
    expect(wrong.err).toContain('pass --key or set DR_API_KEY');
    const none = await dr(['status'], { DR_API_URL: env.DR_API_URL! });
    expect(none.code).toBe(1);
    const port = await closedPort();
    const down = await dr(['status', '--url', `http://127.0.0.1:${port}/api`]);
    expect(down.code).toBe(1);
    expect(down.err).toBe(
      `dr status: cannot reach the DR API at http://127.0.0.1:${port}/api/status: ECONNREFUSED\n`,
    );
  });

  it('a key-only reader (the default deployment): dr pause is refused, exit 1, naming the ways out', async () => {
    installLocalKeyIsOperator(false);
    try {
      const r = await dr(['pause', '--for', 'PT1H', '--reason', 'leaked key']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        'dr pause: 403: a function key alone may read but not change the failover state',
      );
      expect(r.err).toContain('DR_KEY_IS_OPERATOR=true');
      expect((await dr(['status'])).code).toBe(0);
    } finally {
      installLocalKeyIsOperator(true);
    }
  });

  it('DR_API_TOKEN goes along as a bearer token (App Service Authentication), never printed', async () => {
    // What App Service Authentication does with requireAuthentication and Return401: an empty 401.
    const seen: IncomingHttpHeaders[] = [];
    const front = createHttpServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(401).end();
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/api`;
      const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.test-token';
      const r = await dr(['status'], { DR_API_URL: url, DR_API_KEY: KEY, DR_API_TOKEN: token });
      expect(r.code).toBe(1);
      expect(r.err).toContain('dr status: 401: HTTP 401');
      expect(r.err).toContain('set DR_API_TOKEN to an Entra access token');
      expect(r.out + r.err).not.toContain(token);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ authorization: `Bearer ${token}`, 'x-functions-key': KEY });
      // Without it, no Authorization header at all.
      await dr(['status'], { DR_API_URL: url, DR_API_KEY: KEY });
      expect(seen[1]?.authorization).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });

  it('pause --for and resume; a pause beyond maxPause is refused as invalid (exit 2)', async () => {
    const p = await dr(['pause', '--for', 'PT1H', '--reason', 'patching the gateway']);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/^paused until \S+ by function-key: patching the gateway\n$/);
    expect(estate.monitor().state.pause?.reason).toBe('patching the gateway');
    const shown = await dr(['status']);
    expect(shown.out).toContain('PAUSED');
    const tooLong = await dr(['pause', '--for', 'PT9H', '--reason', 'long weekend']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.err).toContain("until: exceeds the plan's maxPause (PT8H)");
    const r = await dr(['resume', '--reason', 'done']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^resumed \(was paused until \S+ by function-key: patching the gateway\); mode monitoring\n$/,
    );
    expect(estate.monitor().state.pause).toBeUndefined();
    // Nothing paused: the API says so (endedPause null), and so does the CLI.
    const again = await dr(['resume', '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ status: 'applied', pause: null, endedPause: null });
    expect((await dr(['resume'])).out).toBe('nothing was paused; mode monitoring\n');
  });

  it('failover --dry-run prints the plan and changes nothing', async () => {
    const before = JSON.stringify(estate.sim.workflows());
    const r = await dr(['failover', '--reason', 'what if', '--kind', 'emergency', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('DRY RUN: nothing was changed');
    expect(r.out).toContain('emergency failover: 3 group(s), run in order');
    expect(JSON.stringify(estate.sim.workflows())).toBe(before);
    expect(estate.operations()).toEqual([]);
  });

  it('failover, idempotent retry, refusals (exit 1), forced failback', async () => {
    const args = [
      'failover',
      '--reason',
      'eu-west degraded',
      '--kind',
      'emergency',
      '--idempotency-key',
      'inc-4711',
    ];
    const first = await dr(args);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /^failover (failover-1-\S+) started; follow it with: dr status \(or GET \/api\/operations\/\1\)\n$/,
    );
    const again = await dr(args);
    expect(again.out).toBe(first.out);
    expect(estate.operations()).toHaveLength(1);
    await estate.advance(MIN);

    const twice = await dr(['failover', '--reason', 'again', '--kind', 'emergency']);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('dr failover: 409: already failed over');
    const early = await dr(['failback', '--reason', 'looks fine']);
    expect(early.code).toBe(1);
    expect(early.err).toContain('has not been healthy for the soak yet');
    expect(early.err).toContain('pass --force to fail back anyway'); // the flag, not the API's body field
    const forced = await dr(['failback', '--reason', 'looks fine', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.out)).toMatchObject({
      status: 'accepted',
      operationId: expect.stringMatching(/^failback-2-/),
    });
    expect(estate.operations()).toHaveLength(2);

    // The failback waits for the split slot boundary: cancelled there, it ends "cancelled"; then refused.
    const failbackId: string = JSON.parse(forced.out).operationId;
    const cancel = await dr(['cancel', failbackId, '--reason', 'not yet']);
    expect(cancel.code).toBe(0);
    expect(cancel.out).toBe(
      `${failbackId} is cancelling: it stops at its next step boundary; follow it with: dr operation ${failbackId} (or GET /api/operations/${failbackId})\n`,
    );
    await estate.advance(MIN);
    const late = await dr(['cancel', failbackId, '--reason', 'again']);
    expect(late.code).toBe(1);
    expect(late.err).toContain(`dr cancel: 409: ${failbackId} is not running: it ended (cancelled)`);
  });

  it('history lists the operations newest first; operation ID shows one; an unknown ID is exit 1', async () => {
    const h = await dr(['history']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^operation\s+status\s+kind\s+by\s+started\s+rto\s+reason\n/);
    expect(h.out).toMatch(
      /\n(failback-2-\S+)\s+\S+\s+manual planned\s+function-key .*looks fine\n(failover-1-\S+)\s+succeeded\s+manual emergency\s+/,
    );
    const page = await dr(['history', '--limit', '1']);
    const failback = /\n(failback-2-\S+)/.exec(page.out)![1]!;
    expect(page.out).toContain(`older: dr history --before ${failback}`);
    const failover = /\n(failover-1-\S+)/.exec(h.out)![1]!;
    const op = await dr(['operation', failover]);
    expect(op.code).toBe(0);
    expect(op.out).toMatch(new RegExp(`^${failover}: \\S+ \\(\\w+\\), started `));
    expect(op.out).toContain('manual emergency failover asked by function-key: eu-west degraded');
    const json = JSON.parse((await dr(['operation', failover, '--json'])).out);
    expect(json.operationId).toBe(failover);
    const missing = await dr(['operation', 'failover-99-nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('dr operation: 404');
  });

  it('history --requests lists the requests with who, why and the answer, refusals included', async () => {
    const r = await dr(['history', '--requests']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^at\s+request\s+by\s+answer\s+reason\n/);
    // Newest first: the refused second failover, the forced failback, the refused one (soak), the accepted
    // failover (asked twice: one line).
    expect(r.out).toMatch(
      /\n\S+\s+failback planned force\s+function-key\s+accepted failback-2-\S+\s+looks fine\n\S+\s+failback planned\s+function-key\s+refused \(.*soak.*\)\s+looks fine\n/,
    );
    expect(
      r.out.match(/failover emergency\s+function-key\s+accepted failover-1-\S+\s+eu-west degraded/g),
    ).toHaveLength(1);
    expect(r.out).toMatch(
      /\n\S+\s+failover emergency\s+function-key\s+refused \(already failed over.*\)\s+again\n/,
    );
    const json = JSON.parse((await dr(['history', '--requests', '--json'])).out);
    // Newest first among failovers and failbacks (a cancel asked by an earlier test may be newer still).
    const operations = (json.items as { request: string }[]).filter((i) => i.request !== 'cancel');
    expect(operations[0]).toMatchObject({ request: 'failback', answer: 'accepted', force: true });
  });

  it('--url without /api: the 404 comes with the fix', async () => {
    const r = await dr(['status', '--url', estate.host.url]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `(the API's routes are under /api: pass --url ${estate.host.url}/api, or set DR_API_URL to it)`,
    );
  });

  it.each([
    [['failover'], '--reason is required'],
    [['failover', '--reason', 'x', '--kind', 'sideways'], '--kind must be planned or emergency'],
    [['failover', '--reason', 'x', '--override', 'yolo'], 'known rules: no-dual-active, every-entry-runs'],
    [['failback'], '--reason is required'],
    [['pause', '--reason', 'x'], 'exactly one of --until ISO or --for DURATION'],
    [['pause', '--reason', 'x', '--until', '2026-01-01T00:00:00Z', '--for', 'PT1H'], 'exactly one of'],
    [['pause', '--reason', 'x', '--for', 'P1M'], 'years, months or weeks'],
    [['pause', '--reason', 'x', '--until', 'later'], 'is not an ISO 8601 date-time'],
    [['status', '--bogus'], "Unknown option '--bogus'"],
    [['status', '--url', 'not a url'], 'is not a URL'],
    [['resume', 'now'], 'unexpected argument "now"'],
    [['cancel', '--reason', 'x'], 'say which operation: dr cancel OPERATION_ID'],
    [['cancel', 'not an id', '--reason', 'x'], '"not an id" is not an operation id'],
    [['cancel', 'failover-1-20260302T081500'], '--reason is required'],
  ])('dr %j: exit 2, %s', async (args, message) => {
    const r = await dr(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it.each(['status', 'failover', 'failback', 'pause', 'resume', 'cancel', 'history', 'operation'])(
    'dr %s --help',
    async (name) => {
      const r = await dr([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: dr ${name}`);
      expect(r.out).toContain('--url URL');
    },
  );
});
