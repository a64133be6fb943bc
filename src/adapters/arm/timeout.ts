/**
 * A deadline on every ARM request attempt. Without one, a region whose connections hang (accepted, never
 * answered) blocks planning and fences until the Function's own timeout: ARM answers in well under a second
 * when it is there, so no answer in 15 s means the region is not.
 */
import type {
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  SendRequest,
} from '@azure/core-rest-pipeline';

export const DEFAULT_ARM_TIMEOUT_MS = 15_000;

/** Thrown by the policy; classifyArmError turns it into an ArmTransientError without a status (unreachable). */
export class ArmRequestTimeout extends Error {
  override name = 'ArmRequestTimeout';
  /** A network-style code, so the one classifier treats it like a refused connection. */
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly timeoutMs: number,
    method: string,
    path: string,
  ) {
    super(`no answer within ${timeoutMs} ms (${method} ${path})`);
  }
}

/**
 * Aborts an attempt (connect, TLS, headers and body) after `timeoutMs`. It sits after the throttle, so time
 * spent waiting for a token does not count. The error is not a RestError, so the SDK does not retry it: one
 * hung attempt is enough to call the region unreachable; the orchestration's retries decide what happens next.
 */
export function armTimeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: 'armRequestTimeout',
    sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
      const caller = request.abortSignal;
      const controller = new AbortController();
      const forward = () => controller.abort();
      if (caller?.aborted) controller.abort();
      else caller?.addEventListener('abort', forward);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } catch (err) {
        if (timedOut) throw new ArmRequestTimeout(timeoutMs, request.method, new URL(request.url).pathname);
        throw err;
      } finally {
        clearTimeout(timer);
        caller?.removeEventListener('abort', forward);
        // The retry policy reuses this request: it must see the caller's signal, not our spent one.
        request.abortSignal = caller;
      }
    },
  };
}
