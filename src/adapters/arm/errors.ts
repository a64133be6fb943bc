/**
 * ARM failures, classified in exactly one place: transient ones are retried by the orchestration
 * (callActivityWithRetry), terminal ones stop an action with a clear reason.
 */

export interface ArmErrorContext {
  /** What we were doing, e.g. `enable`. */
  operation: string;
  /** Which workflow, e.g. `secondary:order-webhook` (never a URL with a signature). */
  target: string;
}

abstract class ArmFailure extends Error {
  constructor(
    message: string,
    readonly context: ArmErrorContext,
    readonly status: number | undefined,
    readonly code: string,
  ) {
    super(`${context.operation} ${context.target}: ${message}`);
  }
}

/** Worth retrying: throttling (429), server errors (5xx), timeouts, refused or reset connections. */
export class ArmTransientError extends ArmFailure {
  override name = 'ArmTransientError';
  constructor(
    message: string,
    context: ArmErrorContext,
    status: number | undefined,
    code: string,
    readonly retryAfterMs?: number,
  ) {
    super(message, context, status, code);
  }
}

/** Not worth retrying: authorization (401/403), not found (404), bad request (400), conflicts we cannot fix. */
export class ArmTerminalError extends ArmFailure {
  override name = 'ArmTerminalError';
}

/** The workflow changed between our read and our write; re-read before trying again. */
export class ArmConcurrencyError extends ArmFailure {
  override name = 'ArmConcurrencyError';
}

/** An answer from ARM (or its absence), as the adapters throw it: anything else is not ARM's but a bug. */
export const isArmFailure = (
  err: unknown,
): err is ArmTransientError | ArmTerminalError | ArmConcurrencyError => err instanceof ArmFailure;

const TRANSIENT_NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
]);

interface RestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get?(name: string): string | undefined }; bodyAsText?: string | null };
  details?: unknown;
  cause?: unknown;
}

function armErrorBody(err: RestErrorLike): { code?: string; message?: string } {
  const text = err.response?.bodyAsText;
  if (text) {
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error) return body.error;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err; // Not JSON: fall back to the SDK's message.
    }
  }
  return {};
}

export function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Turns whatever the SDK threw into an ArmTransientError or ArmTerminalError. */
export function classifyArmError(
  error: unknown,
  context: ArmErrorContext,
): ArmTransientError | ArmTerminalError {
  if (error instanceof ArmTransientError || error instanceof ArmTerminalError) return error;
  const err = (error ?? {}) as RestErrorLike;
  const status = err.statusCode;
  const body = armErrorBody(err);
  const code = body.code ?? err.code ?? (status ? `HTTP${status}` : 'Unknown');
  const message = redactSignatures(body.message ?? err.message ?? String(error));

  if (status === undefined) {
    const network = err.code ?? (err.cause as { code?: string } | undefined)?.code;
    if (
      err.name === 'AbortError' ||
      (network && TRANSIENT_NETWORK.has(network)) ||
      /timeout|socket hang up/i.test(message)
    ) {
      return new ArmTransientError(
        `ARM unreachable (${network ?? err.name ?? 'network'}): ${message}`,
        context,
        undefined,
        network ?? 'NetworkError',
      );
    }
    return new ArmTerminalError(message, context, undefined, code);
  }
  if (status === 429 || status === 408 || status >= 500) {
    const after = retryAfterMs(err.response?.headers?.get?.('retry-after'));
    return new ArmTransientError(`${status} ${code}: ${message}`, context, status, code, after);
  }
  return new ArmTerminalError(`${status} ${code}: ${message}`, context, status, code);
}

/** Callback URLs carry a SAS signature: it never reaches a log or an error message. */
export function redactSignatures(text: string): string {
  return text.replace(/([?&]sig=)[^&\s"']+/gi, '$1REDACTED');
}
