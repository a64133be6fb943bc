/**
 * Asking the monitor: the monitor is the single writer of "is an operation running", so every POST becomes
 * a signal, and its answer is read back from the monitor's published `answers` by signal id. Retrying with
 * the same id is harmless: the monitor answers an id once and keeps the answer.
 */
import {
  MONITOR_SIGNAL,
  ORCHESTRATIONS,
  courierInstanceId,
  monitorInstanceId,
  type CourierInput,
  type MonitorStatus,
  type RequestAnswer,
  type RequestSignal,
  monitorOf,
} from '../durable/contracts';
import { ANSWER_TTL_MS } from '../core/monitor-step';
import { errorMessage } from '../core/errors';
import type { Plan } from '../plan/schema';
import { ensureMonitor } from '../durable/monitor-instance';
import { statusIfAny, type DurableClient } from '../durable/client';
import { IdempotencyKeyReusedError, MonitorUnavailableError } from './errors';

export type { RequestSignal };

export interface AskOptions {
  /** Longest the caller waits for the answer (Azure's HTTP front end gives up at 230 s; we answer well before). */
  waitMs: number;
  sleep: (ms: number) => Promise<void>;
  /** The Idempotency-Key (given or generated) the caller can repeat to read a late answer. */
  idempotencyKey: string;
  log?: (message: string) => void;
  /**
   * Checks that hold only for a new request, run after the kept answers were looked up: a retry gets its
   * first answer even when, say, a pause's `until` has passed since.
   */
  checkNew?: () => void;
  /** When the request was queued (the courier's TTL counts from it); default the machine's clock. */
  now?: () => Date;
}

export interface Asked {
  answer: RequestAnswer;
  /** The monitor's published state that carried the answer. */
  monitor: MonitorStatus;
  /** True when the answer was already there (a retried Idempotency-Key): no new signal was raised. */
  replayed: boolean;
  /** The monitor's published state just before the signal was raised (absent for a replayed answer). */
  before?: MonitorStatus;
}

/** Poll backoff: quick first looks (the monitor usually answers in tens of ms), then every 500 ms. */
const POLL_STEPS_MS = [20, 40, 80, 160, 320, 500];
/** Unanswered after this long, the signal is raised again (then after twice as long, and so on). */
const RAISE_AGAIN_FIRST_MS = 1_000;

async function publishedStatus(
  client: Pick<DurableClient, 'getStatus'>,
  instanceId: string,
): Promise<MonitorStatus | undefined> {
  const s = await statusIfAny(client, instanceId); // none: no monitor (yet)
  return s ? monitorOf(s) : undefined;
}

const answerIn = (m: MonitorStatus | undefined, id: string): RequestAnswer | undefined =>
  m?.answers?.find((a) => a.id === id);

/** A kept answer is this request's only if the fingerprints agree (answers kept before fingerprints had none). */
function answerFor(answer: RequestAnswer, signal: RequestSignal, idempotencyKey: string): RequestAnswer {
  if (answer.fingerprint && signal.fingerprint && answer.fingerprint !== signal.fingerprint)
    throw new IdempotencyKeyReusedError(idempotencyKey);
  return answer;
}

export async function askMonitor(
  client: Pick<DurableClient, 'getStatus' | 'startNew' | 'raiseEvent'>,
  plan: Plan,
  signal: RequestSignal,
  options: AskOptions,
): Promise<Asked> {
  const instanceId = monitorInstanceId(plan.id);
  const before = await publishedStatus(client, instanceId);
  const earlier = answerIn(before, signal.id);
  if (earlier && before)
    return { answer: answerFor(earlier, signal, options.idempotencyKey), monitor: before, replayed: true };
  options.checkNew?.();

  await ensureMonitor(client, plan, options.log);
  // The monitor has the plan's policy from its start (ensureMonitor): a request before its first tick is judged.
  await client.raiseEvent(instanceId, MONITOR_SIGNAL, signal);

  let waited = 0;
  let raiseAgainAt = RAISE_AGAIN_FIRST_MS;
  for (let step = 0; waited < options.waitMs; step++) {
    const delay = Math.min(POLL_STEPS_MS[Math.min(step, POLL_STEPS_MS.length - 1)]!, options.waitMs - waited);
    await options.sleep(delay);
    waited += delay;
    const m = await publishedStatus(client, instanceId);
    const answer = answerIn(m, signal.id);
    if (answer && m)
      return {
        answer: answerFor(answer, signal, options.idempotencyKey),
        monitor: m,
        replayed: false,
        ...(before ? { before } : {}),
      };
    if (waited >= raiseAgainAt) {
      // Not answered yet: the signal may have been discarded (a monitor whose start was not stored yet drops
      // events in Azure). The monitor answers an id once, so raising it again is harmless.
      await client.raiseEvent(instanceId, MONITOR_SIGNAL, signal);
      raiseAgainAt *= 2;
    }
  }
  const seconds = Math.round(options.waitMs / 1000);
  const queued = await queueRequest(client, plan, signal, (options.now ?? (() => new Date()))());
  throw new MonitorUnavailableError(
    queued === true
      ? `the monitor did not answer within ${seconds} s; the request is queued and will be handled once: repeat it with Idempotency-Key ${options.idempotencyKey} to read the answer`
      : `the monitor did not answer within ${seconds} s and the request could not be queued (${queued}): repeat it with Idempotency-Key ${options.idempotencyKey}; it is handled once however often it is sent`,
    { idempotencyKey: options.idempotencyKey },
    5,
  );
}

const COURIER_ALIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * Keeps the promise of a 503 "queued": a courier (src/orchestrators/request.ts) raises the signal again until
 * the monitor has answered it, for as long as answers are kept. One courier per request id: a repeat of the
 * key while one runs starts nothing. True when a courier runs, else why none could be started.
 */
export async function queueRequest(
  client: Pick<DurableClient, 'getStatus' | 'startNew'>,
  plan: Plan,
  signal: RequestSignal,
  now: Date,
): Promise<true | string> {
  const instanceId = courierInstanceId(plan.id, signal.id);
  try {
    const existing = await statusIfAny(client, instanceId);
    if (existing && COURIER_ALIVE.has(existing.runtimeStatus)) return true;
    const input: CourierInput = {
      planId: plan.id,
      signal,
      queuedAt: now.toISOString(),
      ttlMs: ANSWER_TTL_MS,
      attempts: 0,
    };
    await client.startNew(ORCHESTRATIONS.courier, { instanceId, input });
    return true;
  } catch (err) {
    const again = await statusIfAny(client, instanceId).catch(() => undefined);
    if (again && COURIER_ALIVE.has(again.runtimeStatus)) return true; // another request started it first
    return errorMessage(err);
  }
}
