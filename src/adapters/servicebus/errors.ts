/**
 * The one place that decides whether a failed notification is worth retrying.
 * Transient: the namespace is unreachable, busy or slow. Terminal: retrying cannot help
 * (no access, no such entity, message too large, bad configuration).
 */
import { isServiceBusError } from '@azure/service-bus';

export abstract class NotifyError extends Error {
  abstract readonly transient: boolean;
  constructor(
    /** Service Bus error code (e.g. `MessagingEntityNotFound`), a socket code, or one of ours (`Timeout`). */
    readonly code: string,
    /** Which queue or topic on which namespace, never credentials. */
    readonly where: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Notification to ${where} failed (${code}): ${detail}`, options);
  }
}

export class NotifyTransientError extends NotifyError {
  readonly transient = true;
  override readonly name = 'NotifyTransientError';
}

export class NotifyTerminalError extends NotifyError {
  readonly transient = false;
  override readonly name = 'NotifyTerminalError';
}

/** Retrying these cannot succeed until someone changes configuration, RBAC or the message. */
const TERMINAL_SERVICE_BUS_CODES = new Set([
  'UnauthorizedAccess',
  'MessagingEntityNotFound',
  'MessageSizeExceeded',
  'MessagingEntityDisabled',
]);

const TRANSIENT_SERVICE_BUS_CODES = new Set([
  'ServiceTimeout',
  'ServiceBusy',
  'ServiceCommunicationProblem',
  'QuotaExceeded',
]);

const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
  // During a regional outage the namespace name itself may stop resolving.
  'ENOTFOUND',
]);

/** Certificate problems are configuration (trust store, endpoint name), not outages. */
const TERMINAL_TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function readString(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

/** A socket error code found on the error, its cause chain or its message. */
function socketCode(err: unknown): string | undefined {
  for (let current = err, depth = 0; current && depth < 5; depth++) {
    const code = readString(current, 'code');
    if (code && TRANSIENT_SOCKET_CODES.has(code)) return code;
    const message = readString(current, 'message') ?? '';
    const inMessage = [...TRANSIENT_SOCKET_CODES].find((c) => message.includes(c));
    if (inMessage) return inMessage;
    current = (current as { cause?: unknown }).cause ?? (current as { innerError?: unknown }).innerError;
  }
  return undefined;
}

/** `redact` scrubs secrets (e.g. a shared access key) from the underlying message. */
export function classifyNotifyError(
  err: unknown,
  where: string,
  redact: (text: string) => string = (text) => text,
): NotifyError {
  if (err instanceof NotifyError) return err;
  const message = redact(readString(err, 'message') ?? String(err));
  const options = { cause: err };

  const ownCode = readString(err, 'code');
  if (ownCode && TERMINAL_TLS_CODES.has(ownCode))
    return new NotifyTerminalError(ownCode, where, message, options);

  const socket = socketCode(err);
  if (socket) return new NotifyTransientError(socket, where, message, options);

  if (isServiceBusError(err)) {
    // The SDK folds AMQP conditions it has no code for into GeneralError and prefixes the message.
    const code = err.code === 'GeneralError' ? (/^(\w+Error):/.exec(err.message)?.[1] ?? err.code) : err.code;
    if (TERMINAL_SERVICE_BUS_CODES.has(err.code))
      return new NotifyTerminalError(code, where, message, options);
    if (TRANSIENT_SERVICE_BUS_CODES.has(err.code) || err.retryable) {
      return new NotifyTransientError(code, where, message, options);
    }
    return new NotifyTerminalError(code, where, message, options);
  }

  const name = readString(err, 'name');
  if (name === 'AbortError') return new NotifyTransientError('Timeout', where, message, options);
  if (err instanceof TypeError || err instanceof RangeError) {
    return new NotifyTerminalError('InvalidRequest', where, message, options);
  }
  // Unknown failures are retried (the orchestration bounds attempts) unless marked otherwise.
  const retryable = (err as { retryable?: unknown } | null)?.retryable;
  const code = readString(err, 'code') ?? name ?? 'Unknown';
  return retryable === false
    ? new NotifyTerminalError(code, where, message, options)
    : new NotifyTransientError(code, where, message, options);
}
