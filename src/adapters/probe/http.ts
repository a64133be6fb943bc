/**
 * One probe request: POST `{}` to a URL, bounded by a timeout that covers DNS, connect, TLS and the whole body.
 * Node's http(s).request rather than fetch, because fetch cannot take a CA per request.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { FailureClass } from '../../core/monitor';
import { classifyTransportError } from './classify';

/** Health answers are small; a larger body is cut here (an expectBody check then fails as not JSON). */
export const MAX_PROBE_BODY_BYTES = 1024 * 1024;

const PROBE_BODY = '{}';

export type HttpAnswer = { answered: true; status: number; body: string };
export type HttpFailure = { answered: false; failure: FailureClass; detail: string };

export interface ProbeAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * Agents without keep-alive: every probe opens a fresh connection, so a region that stopped accepting
 * connections is seen at once rather than hidden behind a pooled socket. `ca` is trusted on top of Node's
 * bundled roots (like NODE_EXTRA_CA_CERTS).
 */
export function createProbeAgents(ca?: string): ProbeAgents {
  return {
    http: new HttpAgent({ keepAlive: false }),
    // One secure context for all probes: parsing ~150 roots per connection would cost every probe.
    https: new HttpsAgent({
      keepAlive: false,
      ...(ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, ca] }) } : {}),
    }),
  };
}

/**
 * POSTs `{}` and reads the answer. Never rejects: transport problems come back as an HttpFailure.
 * `statedTimeoutMs` is the timeout the detail names (the plan's, when part of it went on resolving the URL).
 */
export function postProbe(
  url: URL,
  timeoutMs: number,
  agents: ProbeAgents,
  statedTimeoutMs = timeoutMs,
): Promise<HttpAnswer | HttpFailure> {
  return new Promise((resolve) => {
    const controller = new AbortController();
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        controller.abort();
      },
      Math.max(1, timeoutMs),
    );
    const settle = (outcome: HttpAnswer | HttpFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    /** How far the exchange got, for the detail: an abort is reported by whichever stream notices first. */
    let phase = 'request';
    const fail = (error: unknown): void => {
      if (timedOut) {
        settle({
          answered: false,
          failure: 'timeout',
          detail: `no complete answer within ${statedTimeoutMs} ms (${phase === 'request' ? 'no response yet' : phase})`,
        });
        return;
      }
      const { failure, code } = classifyTransportError(error);
      const message = error instanceof Error ? error.message : String(error);
      const codeText = code && !message.includes(code) ? `${code}: ` : '';
      settle({ answered: false, failure, detail: `${phase} failed: ${codeText}${message}` });
    };

    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    let req: ReturnType<typeof httpRequest>;
    try {
      req = send(
        url,
        {
          method: 'POST',
          agent: https ? agents.https : agents.http,
          signal: controller.signal,
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(PROBE_BODY)),
            accept: 'application/json',
            connection: 'close',
          },
        },
        (res: IncomingMessage) => {
          phase = `reading the HTTP ${res.statusCode ?? '?'} response`;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size >= MAX_PROBE_BODY_BYTES) return;
            chunks.push(chunk);
            size += chunk.length;
            if (size >= MAX_PROBE_BODY_BYTES) {
              // Enough to judge; stop the download rather than wait for the rest.
              settle({
                answered: true,
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).subarray(0, MAX_PROBE_BODY_BYTES).toString('utf8'),
              });
              req.destroy();
            }
          });
          res.on('end', () =>
            settle({
              answered: true,
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', (error) => fail(error));
          res.on('aborted', () =>
            fail(
              Object.assign(new Error('connection closed before the body was complete'), {
                code: 'ECONNRESET',
              }),
            ),
          );
        },
      );
    } catch (error) {
      // Invalid URL parts or headers: rejected synchronously by Node.
      phase = 'building the request';
      fail(error);
      return;
    }
    req.on('error', (error) => fail(error));
    req.end(PROBE_BODY);
  });
}
