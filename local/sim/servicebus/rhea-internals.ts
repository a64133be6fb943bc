/**
 * The few rhea calls its typings leave out or type too narrowly, wrapped once so casts stay here.
 */
import type * as net from 'node:net';
import { message as amqpMessage, type Container, type Receiver, type Sender } from 'rhea';

/** A delivery state as rhea writes it into a disposition frame. */
export type DeliveryState = unknown;

interface Outcomes {
  accepted(): { described(): DeliveryState };
  rejected(fields: { error?: { condition: string; description?: string } }): { described(): DeliveryState };
  modified(fields: { delivery_failed?: boolean; undeliverable_here?: boolean }): {
    described(): DeliveryState;
  };
}

const outcomes = amqpMessage as unknown as Outcomes;

export function acceptedState(): DeliveryState {
  return outcomes.accepted().described();
}

export function modifiedState(undeliverableHere: boolean): DeliveryState {
  return outcomes.modified({ delivery_failed: true, undeliverable_here: undeliverableHere }).described();
}

/** Without a condition: a plain rejected outcome (the SDK treats an error in it as a failure). */
export function rejectedState(condition?: string, description?: string): DeliveryState {
  return outcomes.rejected(condition ? { error: { condition, description } } : {}).described();
}

/** Link fields that rhea exposes at runtime but not in its typings. */
export interface LinkInternals {
  local: { attach: { max_message_size?: number; snd_settle_mode?: number; rcv_settle_mode?: number } };
}

export function linkInternals(link: Sender | Receiver): LinkInternals {
  return link as unknown as LinkInternals;
}

/** Serves an already-connected socket (rhea's server side, without its own listener). */
export function acceptSocket(container: Container, id: string, socket: net.Socket): void {
  const connection = container.create_connection({ id } as never) as unknown as {
    accept(s: net.Socket): void;
  };
  connection.accept(socket);
}
