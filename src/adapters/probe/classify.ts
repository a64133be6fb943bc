/**
 * Why a probe got no usable answer, as one of the monitor's failure classes. Decided here only, for both the
 * health URL itself and the ARM call that resolves it.
 */
import type { FailureClass } from '../../core/monitor';

const BY_CODE: Readonly<Record<string, FailureClass>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
};

// OpenSSL verification codes (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE…) and Node's TLS/SSL errors.
const TLS_CODE =
  /^(?:CERT_\w+|ERR_TLS_\w+|ERR_SSL_\w+|ERR_OSSL_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|CERT_UNTRUSTED)$/;

/** The failure class a Node/OpenSSL error code stands for, or undefined when the code says nothing we know. */
export function failureClassOfCode(code: string): FailureClass | undefined {
  return BY_CODE[code] ?? (TLS_CODE.test(code) ? 'tls' : undefined);
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** Error codes on the error and its causes, outermost first (SDKs wrap the socket error). */
function codesOf(error: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const e = current as ErrorLike;
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.message === 'string') messages.push(e.message);
    current = e.cause;
  }
  if (typeof error === 'string') messages.push(error);
  return { codes, messages };
}

/**
 * Classifies a transport error (socket, DNS, TLS) or an SDK error that wraps one. `socket hang up` is a reset;
 * anything unrecognised is `error`. The returned `code` is the one that decided, for the detail text.
 */
export function classifyTransportError(error: unknown): { failure: FailureClass; code?: string } {
  const { codes, messages } = codesOf(error);
  for (const code of codes) {
    const failure = failureClassOfCode(code);
    if (failure) return { failure, code };
  }
  // SDK wrappers (REQUEST_SEND_ERROR) keep the socket's code only in the message, e.g. "connect ECONNREFUSED …".
  for (const message of messages) {
    for (const token of message.match(/\b[A-Z][A-Z0-9_]{3,}\b/g) ?? []) {
      const failure = failureClassOfCode(token);
      if (failure) return { failure, code: token };
    }
    if (/socket hang up/i.test(message)) return { failure: 'reset', code: 'ECONNRESET' };
    if (/certificate|\btls\b|\bssl\b|handshake/i.test(message)) return { failure: 'tls' };
  }
  const code = codes[0];
  return code === undefined ? { failure: 'error' } : { failure: 'error', code };
}
