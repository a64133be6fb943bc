/**
 * One connection pool for every ARM client of a control plane. Without it each SDK client (one per
 * subscription and kind) keeps its own pool, and every new connection builds its own TLS context, parsing
 * the trusted CAs again: with a private CA that was ~0.6 ms of CPU per connection, and a failover of 100
 * workflows opens ~100 connections at once (one per concurrent write).
 */
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';

/**
 * Connections per ARM host at most. ARM's write bucket lets 200 writes through at once; past 100 in flight a
 * failover gains little (requests queue for a pooled socket instead), while each connection is a TLS
 * handshake on both ends and an outbound socket of the Function App (600 per instance on Consumption).
 */
export const DEFAULT_ARM_MAX_SOCKETS = 100;

export interface ArmAgentOptions {
  /** PEM of a private CA to trust instead of Node's roots (the simulator); never needed in Azure. */
  ca?: string;
  /** Connections per ARM host at most (default DEFAULT_ARM_MAX_SOCKETS); more requests wait for one. */
  maxSockets?: number;
}

/**
 * A keep-alive agent over ONE TLS context (built here, once), with a bounded pool. Give the same agent to
 * every SDK client (`agent` client option): a connection opened for one subscription's reads carries the next
 * write of any other. A request waiting for a free connection is already inside its ARM deadline
 * (armTimeoutPolicy), at most one round trip with the default pool and ARM's buckets.
 */
export function createArmAgent(options: ArmAgentOptions = {}): Agent {
  const maxSockets = options.maxSockets ?? DEFAULT_ARM_MAX_SOCKETS;
  if (!Number.isInteger(maxSockets) || maxSockets < 1) {
    throw new RangeError(`maxSockets must be an integer >= 1, got ${String(maxSockets)}`);
  }
  return new Agent({
    keepAlive: true,
    maxSockets,
    // The pool may keep every connection it opened: a failover's next batch reuses them.
    maxFreeSockets: maxSockets,
    secureContext: createSecureContext(options.ca !== undefined ? { ca: options.ca } : {}),
  });
}
