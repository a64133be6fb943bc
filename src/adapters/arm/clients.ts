/**
 * What every ARM adapter builds its SDK clients with: the shared connection (credential, endpoint, the pooled
 * agent), the throttle (pacer), the per-request deadline and the SDK retry budget, and one classification of
 * ARM errors. Logic Apps, App Service and the routers (API Management, Front Door, Traffic Manager) all go
 * through here, so they pace, time out, retry and fail alike.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'node:https';
import { ArmConcurrencyError, classifyArmError } from './errors';
import { armTelemetryPolicy } from './telemetry';
import type { ArmThrottle } from './throttle';
import { armTimeoutPolicy, DEFAULT_ARM_TIMEOUT_MS } from './timeout';

export interface ArmConnection {
  credential: TokenCredential;
  /** ARM endpoint; default public cloud. Sovereign clouds and the simulator set their own. */
  endpoint?: string;
  /** Needed whenever the endpoint is not the public cloud's (the token audience stays ARM's). */
  credentialScopes?: string[];
  /**
   * The connection pool of every SDK client made from this connection (createArmAgent: keep-alive, one TLS
   * context, bounded; it also carries a private CA's trust for the simulator). Without one each client keeps
   * its own pool, as the SDK does by default.
   */
  agent?: Agent;
  throttle?: ArmThrottle;
  /** SDK retry budget for 429/5xx before our own (orchestration-level) retries take over. */
  maxRetries?: number;
  /** Deadline of one request attempt (default 15 s); a request that times out counts as ARM unreachable. */
  timeoutMs?: number;
}

/** An SDK client's pipeline, as far as we add policies to it. */
interface WithPipeline {
  pipeline: { addPolicy(p: unknown, o?: unknown): void };
}

export function armClientKit(connection: ArmConnection) {
  const options = () => ({
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentialScopes ? { credentialScopes: connection.credentialScopes } : {}),
    ...(connection.agent ? { agent: connection.agent } : {}),
    retryOptions: { maxRetries: connection.maxRetries ?? 2 },
  });
  const timeoutMs = connection.timeoutMs ?? DEFAULT_ARM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`ArmConnection.timeoutMs must be a number of ms > 0, got ${String(timeoutMs)}`);
  }
  const timeout = armTimeoutPolicy(timeoutMs);
  const withPolicies = <C extends WithPipeline>(client: C): C => {
    if (connection.throttle) client.pipeline.addPolicy(connection.throttle.policy(), { afterPhase: 'Retry' });
    // Each attempt as a span and in the ARM metrics: after the throttle's wait and the token, around the deadline.
    client.pipeline.addPolicy(armTelemetryPolicy(), { afterPhase: 'Sign' });
    // After signing: the deadline covers the HTTP exchange, not a wait for a throttle token.
    client.pipeline.addPolicy(timeout, { afterPhase: 'Sign' });
    return client;
  };
  /** One SDK client per subscription and kind, created on first use (they share the throttle). */
  const perSubscription = <C extends WithPipeline>(make: (subscriptionId: string) => C) => {
    const clients = new Map<string, C>();
    return (subscriptionId: string): C => {
      let c = clients.get(subscriptionId);
      if (!c) {
        c = withPolicies(make(subscriptionId));
        clients.set(subscriptionId, c);
      }
      return c;
    };
  };
  return { options, perSubscription };
}

/** Runs one ARM call, classifying what it throws (ArmTransientError / ArmTerminalError) with what and where. */
export async function callArm<T>(operation: string, target: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ArmConcurrencyError) throw err;
    throw classifyArmError(err, { operation, target });
  }
}
