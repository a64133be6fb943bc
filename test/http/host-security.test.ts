/**
 * What an attacker on the host's port can and cannot do: the Durable management routes need the system key,
 * malformed paths are refused before any key check and never echo or log the key, bodies are capped before
 * they are read, and operator text reaches the audit and the monitor as one plain line.
 */
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLES } from '../../src/http/auth';
import { monitorInstanceId, operationInstanceId } from '../../src/durable/contracts';
import { auditLines, inFuture, KEY, MIN, principal, startApiEstate, type ApiEstate } from './support';

let estate: ApiEstate;
let operationId: string;
beforeAll(async () => {
  estate = await startApiEstate();
  await estate.advance(MIN);
  const started = await estate.call('POST', 'failover', { body: { reason: 'drill', kind: 'emergency' } });
  expect(started.status).toBe(202);
  operationId = started.body.operationId;
  await estate.advance(MIN);
});
afterAll(async () => estate?.stop());

const PREFIXES = ['/durabletask/', '/runtime/webhooks/durabletask/'];
const FORGED = [
  ['no key', {}],
  ['a wrong key', { 'x-functions-key': 'wrong' }],
  ['the function key', { 'x-functions-key': KEY }],
] as const;

describe('the Durable management routes of the host', () => {
  it.each(PREFIXES.flatMap((p) => FORGED.map(([who, headers]) => [p, who, headers] as const)))(
    '%s with %s: a forged pause signal is 401 and the monitor is not paused',
    async (prefix, _who, headers) => {
      const monitor = monitorInstanceId(estate.plan.id);
      const signal = {
        kind: 'pause',
        id: `forged-${Math.random()}`,
        until: inFuture(estate, 60 * MIN),
        caller: { by: 'attacker', reason: 'silence the monitor' },
      };
      const res = await fetch(`${estate.host.url}${prefix}instances/${monitor}/raiseEvent/signal`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(signal),
      });
      expect(res.status).toBe(401);
      await estate.advance(MIN);
      expect(estate.monitor().answers.map((a) => a.id)).not.toContain(signal.id);
      expect((await estate.call('GET', 'status')).body.mode).not.toBe('paused');
    },
  );

  it.each(PREFIXES.flatMap((p) => FORGED.map(([who, headers]) => [p, who, headers] as const)))(
    '%s with %s: deleting the operation is 401 and it stays in /api/history',
    async (prefix, _who, headers) => {
      const instance = operationInstanceId(estate.plan.id, operationId);
      for (const path of [`instances/${instance}`, 'instances?createdTimeFrom=2000-01-01T00:00:00Z']) {
        const res = await fetch(`${estate.host.url}${prefix}${path}`, { method: 'DELETE', headers });
        expect(res.status).toBe(401);
      }
      expect(estate.operations().map((o) => o.instanceId)).toContain(instance);
      const history = await estate.call('GET', 'history');
      expect(history.body.items.map((i: { operationId: string }) => i.operationId)).toContain(operationId);
    },
  );
});

describe('malformed requests', () => {
  it('a bad percent-escape is a 400 before the key check; the key is neither echoed nor logged', async () => {
    const before = estate.logs.length;
    for (const path of ['operations/%zz', 'operations/%E0%A4%A']) {
      const withKey = await estate.call('GET', path, { keyIn: 'query' });
      expect(withKey.status).toBe(400);
      expect(withKey.text).not.toContain(KEY);
      expect((await estate.call('GET', path, { key: null })).status).toBe(400);
      expect((await estate.call('GET', path, { key: 'wrong' })).status).toBe(400);
    }
    const durable = await fetch(`${estate.host.url}/durabletask/instances/%zz?code=${KEY}`);
    expect(durable.status).toBe(400);
    const logged = estate.logs.slice(before).map((l) => l.message);
    expect(logged.join('\n')).not.toContain(KEY);
    expect(logged.filter((m) => /failed|threw/.test(m))).toEqual([]);
  });

  it('a wrong key is 401, never 500, on every API route', async () => {
    for (const path of ['status', 'history', 'operations/x']) {
      expect((await estate.call('GET', path, { key: 'wrong', keyIn: 'query' })).status).toBe(401);
    }
  });
});

/** Sends a body in chunks without a Content-Length, as a client streaming an unbounded body would. */
function streamPost(url: string, chunks: number, chunkBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'x-functions-key': KEY, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    // The host closes the connection after its 413: a write may fail just before the answer is read.
    req.on('error', (err) => setTimeout(() => reject(err), 500));
    let sent = 0;
    const next = (): void => {
      if (sent++ >= chunks) return void req.end();
      req.write(Buffer.alloc(chunkBytes, 0x20), () => setImmediate(next));
    };
    next();
  });
}

describe('request body cap (64 KiB)', () => {
  it('an announced or streamed body over the cap is 413, nothing is signalled', async () => {
    const signals = estate.monitor().answers.length;
    const big = JSON.stringify({ reason: 'x'.repeat(70 * 1024), kind: 'planned' });
    const announced = await estate.call('POST', 'failover', { raw: big });
    expect(announced.status).toBe(413);
    // 10 MB announced, a few bytes sent: refused on the header alone.
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${estate.host.url}/api/failover`,
        { method: 'POST', headers: { 'x-functions-key': KEY, 'content-length': String(10 * 1024 * 1024) } },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{');
    });
    expect(res).toBe(413);
    expect(await streamPost(`${estate.host.url}/api/failover`, 40, 4096)).toBe(413);
    expect(await streamPost(`${estate.host.url}/durabletask/instances`, 300, 4096)).toBe(401); // key first
    expect(estate.monitor().answers.length).toBe(signals);
    // A small body still works afterwards.
    expect((await estate.call('GET', 'status')).status).toBe(200);
  });
});

describe('operator text is one plain line', () => {
  it('ANSI escapes and control characters in reason and the principal name never reach the audit or status', async () => {
    const nasty = 'maint\u001b[31mRED\u001b[0m\nFAKE {"audit":"dr-http"}\r\u0007\u202eend';
    const who = principal('eve\u001b]0;owned\u0007@contoso.com\n', [APP_ROLES.operator]);
    const paused = await estate.call('POST', 'pause', {
      body: { reason: nasty, until: inFuture(estate, 30 * MIN) },
      principal: who,
    });
    expect(paused.status).toBe(200);
    expect(paused.body.pause).toMatchObject({
      reason: 'maintRED FAKE {"audit":"dr-http"} end',
      by: 'eve@contoso.com',
    });
    const audit = auditLines(estate.logs).find((a) => a.route === 'POST /api/pause')!;
    expect(audit.reason).toBe('maintRED FAKE {"audit":"dr-http"} end');
    expect(audit.caller).toBe('eve@contoso.com');
    const status = (await estate.call('GET', 'status')).body;
    expect(JSON.stringify(status)).not.toMatch(/\\u001b|\\n|\\r|\\u0007|\u202e/);
    // Only control characters is no reason at all.
    const empty = await estate.call('POST', 'resume', { body: { reason: '\u001b[0m\n' } });
    expect(empty.status).toBe(400);
    expect((await estate.call('POST', 'resume', { body: { reason: 'done' } })).status).toBe(200);
  });
});
