/** Whether an HTTP answer means healthy: the expected status, and the expected fields in the JSON body. */
import { isDeepStrictEqual } from 'node:util';

export const DEFAULT_EXPECT_STATUS: readonly number[] = [200];

export interface ProbeExpectations {
  /** Statuses that count as healthy (default [200]). */
  expectStatus?: readonly number[] | undefined;
  /** Fields the JSON body must contain, each deep-equal to the value given. */
  expectBody?: Readonly<Record<string, unknown>> | undefined;
}

export type Verdict = { healthy: true } | { healthy: false; failure: 'status' | 'body'; detail: string };

const MAX_VALUE_TEXT = 80;

function show(value: unknown): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT)}…` : text;
}

/** The expected fields the body lacks or holds with another value, as `name: got X, expected Y`. */
export function bodyMismatches(body: unknown, expected: Readonly<Record<string, unknown>>): string[] {
  const fields: Record<string, unknown> =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const mismatches: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    const got = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    if (!isDeepStrictEqual(got, want)) mismatches.push(`${key}: got ${show(got)}, expected ${show(want)}`);
  }
  return mismatches;
}

/** Status first (a 500 is a status failure whatever its body), then the body when expectBody is set. */
export function judgeResponse(status: number, bodyText: string, expect: ProbeExpectations): Verdict {
  const statuses = expect.expectStatus ?? DEFAULT_EXPECT_STATUS;
  if (!statuses.includes(status)) {
    return {
      healthy: false,
      failure: 'status',
      detail: `HTTP ${status}, expected ${statuses.join(' or ')}`,
    };
  }
  const expectBody = expect.expectBody;
  if (expectBody === undefined || Object.keys(expectBody).length === 0) return { healthy: true };
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return {
      healthy: false,
      failure: 'body',
      detail: `HTTP ${status} with a body that is not JSON (${Buffer.byteLength(bodyText)} bytes), expected fields ${Object.keys(expectBody).join(', ')}`,
    };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      healthy: false,
      failure: 'body',
      detail: `HTTP ${status} with a JSON ${Array.isArray(body) ? 'array' : body === null ? 'null' : typeof body}, expected an object`,
    };
  }
  const mismatches = bodyMismatches(body, expectBody);
  if (mismatches.length > 0) {
    return { healthy: false, failure: 'body', detail: `HTTP ${status}, body ${mismatches.join('; ')}` };
  }
  return { healthy: true };
}
