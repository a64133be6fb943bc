/** The pure parts of the probe: which failure class an error is, and whether an answer is healthy. */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyArmError } from '../../../src/adapters/arm/errors';
import { classifyTransportError, failureClassOfCode, judgeResponse } from '../../../src/adapters/probe';

const err = (message: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), fields);

describe('classifyTransportError', () => {
  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ETIMEDOUT', 'timeout'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
  ])('%s is %s', (code, failure) => {
    expect(classifyTransportError(err(`boom ${code.toLowerCase()}`, { code }))).toEqual({ failure, code });
  });

  it('finds the socket code inside SDK wrappers: on a cause, or only in the message', () => {
    expect(
      classifyTransportError(
        err('request failed', { code: 'REQUEST_SEND_ERROR', cause: err('x', { code: 'ECONNREFUSED' }) }),
      ),
    ).toEqual({ failure: 'refused', code: 'ECONNREFUSED' });
    expect(
      classifyTransportError(err('connect ECONNREFUSED 10.0.0.1:443', { code: 'REQUEST_SEND_ERROR' })),
    ).toEqual({
      failure: 'refused',
      code: 'ECONNREFUSED',
    });
    expect(classifyTransportError(err('socket hang up')).failure).toBe('reset');
    expect(classifyTransportError(err('unable to verify the first certificate')).failure).toBe('tls');
  });

  it('classifies what the ARM adapter throws for an unreachable region', () => {
    const armError = classifyArmError(err('read ECONNRESET', { code: 'ECONNRESET' }), {
      operation: 'list callback url',
      target: 'primary:health',
    });
    expect(classifyTransportError(armError).failure).toBe('reset');
  });

  it('calls anything unknown error, keeping its code', () => {
    expect(classifyTransportError(err('weird', { code: 'EWEIRD' }))).toEqual({
      failure: 'error',
      code: 'EWEIRD',
    });
    expect(classifyTransportError(err('no code at all'))).toEqual({ failure: 'error' });
    expect(classifyTransportError(undefined)).toEqual({ failure: 'error' });
    expect(failureClassOfCode('HTTP500')).toBeUndefined();
  });
});

describe('judgeResponse', () => {
  it('needs 200 by default and a listed status otherwise', () => {
    expect(judgeResponse(200, '', {})).toEqual({ healthy: true });
    expect(judgeResponse(204, '', {})).toMatchObject({
      healthy: false,
      failure: 'status',
      detail: 'HTTP 204, expected 200',
    });
    expect(judgeResponse(204, '', { expectStatus: [200, 204] })).toEqual({ healthy: true });
    expect(judgeResponse(503, '{"status":"Healthy"}', { expectBody: { status: 'Healthy' } })).toMatchObject({
      failure: 'status',
    });
  });

  it('needs a JSON object when expectBody is set', () => {
    expect(judgeResponse(200, 'OK', { expectBody: { a: 1 } })).toMatchObject({ failure: 'body' });
    expect(judgeResponse(200, '[1]', { expectBody: { a: 1 } })).toMatchObject({
      failure: 'body',
      detail: 'HTTP 200 with a JSON array, expected an object',
    });
    expect(judgeResponse(200, 'null', { expectBody: { a: 1 } })).toMatchObject({ failure: 'body' });
    expect(judgeResponse(200, 'OK', { expectBody: {} })).toEqual({ healthy: true });
  });

  const json = fc.jsonValue();
  const record = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), json, { maxKeys: 5 });

  it('is healthy for any body holding the expected fields, whatever else it holds (property)', () => {
    fc.assert(
      fc.property(record, record, (expected, extra) => {
        const body = { ...extra, ...expected };
        expect(
          judgeResponse(200, JSON.stringify(body), {
            expectBody: JSON.parse(JSON.stringify(expected)) as Record<string, unknown>,
          }),
        ).toEqual({
          healthy: true,
        });
      }),
    );
  });

  it('fails with body when any one expected field differs or is missing (property)', () => {
    fc.assert(
      fc.property(record, fc.string({ minLength: 1, maxLength: 8 }), json, (body, key, want) => {
        const expected = JSON.parse(JSON.stringify({ [key]: want })) as Record<string, unknown>;
        const got = (JSON.parse(JSON.stringify(body)) as Record<string, unknown>)[key];
        fc.pre(!isDeepStrictEqual(got, expected[key]));
        const verdict = judgeResponse(200, JSON.stringify(body), { expectBody: expected });
        expect(verdict).toMatchObject({ healthy: false, failure: 'body' });
      }),
    );
  });
});
