/**
 * AMQP message shapes the Service Bus SDK sends and expects back: batched envelopes, body sections,
 * and the broker annotations a received message must carry.
 */
import { randomUUID } from 'node:crypto';
import { message as amqpMessage, types, type Message } from 'rhea';
import type { MessageSummary, StoredCopy } from './store';

/** Microsoft's batch format: one envelope whose data sections are each a complete encoded message. */
export const BATCH_MESSAGE_FORMAT = 0x80013700;

const DATA_SECTION = 0x75;
const SEQUENCE_SECTION = 0x76;

/** rhea's decoded body for data/sequence sections (`multiple` when there is more than one). */
interface BodySection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

function isBodySection(body: unknown): body is BodySection {
  return typeof body === 'object' && body !== null && 'typecode' in body && 'content' in body;
}

export class MalformedBatchError extends Error {
  constructor(detail: string) {
    super(`Batched message (format 0x80013700) is malformed: ${detail}`);
    this.name = 'MalformedBatchError';
  }
}

/** Splits a batch envelope into its messages. */
export function decodeBatch(payload: Buffer): Message[] {
  const envelope = amqpMessage.decode(payload);
  const body: unknown = envelope.body;
  if (body === undefined) return [];
  if (!isBodySection(body) || body.typecode !== DATA_SECTION) {
    throw new MalformedBatchError('the envelope body is not made of data sections');
  }
  const parts: unknown[] = body.multiple ? (body.content as unknown[]) : [body.content];
  return parts.map((part, index) => {
    if (!Buffer.isBuffer(part)) throw new MalformedBatchError(`section ${index} is not binary`);
    return amqpMessage.decode(part) as unknown as Message;
  });
}

/** message_id / correlation_id may be a string, number, uuid or binary on the wire. */
export function idToString(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint') return String(id);
  if (Buffer.isBuffer(id)) return id.length === 16 ? formatUuid(id) : id.toString('hex');
  return JSON.stringify(id);
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The body as the SDK would present it: JSON-parsed data when it is JSON, else the bytes. */
export function bodyForInspection(body: unknown): unknown {
  if (!isBodySection(body)) return body;
  if (body.typecode === SEQUENCE_SECTION) return body.content;
  const parts: unknown[] = body.multiple ? (body.content as unknown[]) : [body.content];
  const bytes = Buffer.concat(parts.filter((p): p is Buffer => Buffer.isBuffer(p)));
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return bytes;
  }
}

/** Service Bus refuses message ids (and session ids, partition keys) over 128 characters. */
export const MAX_MESSAGE_ID_LENGTH = 128;

/** Why the service would refuse this message's ids, if it would. */
export function idLimitProblem(message: Message): string | undefined {
  const ids: [string, unknown][] = [
    ['MessageId', message.message_id],
    ['SessionId', message.group_id],
    ['PartitionKey', message.message_annotations?.['x-opt-partition-key']],
  ];
  for (const [name, value] of ids) {
    const text = idToString(value);
    if (text !== undefined && text.length > MAX_MESSAGE_ID_LENGTH)
      return `The '${name}' (${text.length} characters) exceeds the limit of ${MAX_MESSAGE_ID_LENGTH} characters.`;
  }
  return undefined;
}

/** Service Bus gives every message an id; keep the sender's or assign one once, at enqueue. */
export function ensureMessageId(message: Message): Message {
  if (message.message_id === undefined || message.message_id === null) {
    message.message_id = randomUUID().replace(/-/g, '');
  }
  return message;
}

export function summarize(message: Message): MessageSummary {
  return {
    messageId: idToString(message.message_id),
    subject: message.subject,
    correlationId: idToString(message.correlation_id),
    contentType: message.content_type,
    applicationProperties: { ...(message.application_properties as Record<string, unknown> | undefined) },
    body: bodyForInspection(message.body),
  };
}

/** Bytes on the wire, for the link's max-message-size check. */
export function encodedSize(message: Message): number {
  return amqpMessage.encode(message).length;
}

/** The message as delivered to a receiver: the original plus the broker's annotations. */
export function toDelivery(copy: StoredCopy<Message>): Message {
  const original = copy.payload;
  const annotations: Record<string, unknown> = {
    ...original.message_annotations,
    'x-opt-sequence-number': types.wrap_long(copy.message.sequenceNumber),
    'x-opt-enqueued-time': copy.message.enqueuedTime,
  };
  if (copy.lockedUntil !== undefined) annotations['x-opt-locked-until'] = new Date(copy.lockedUntil);
  const applicationProperties: Record<string, unknown> = {
    ...(original.application_properties as Record<string, unknown> | undefined),
  };
  if (copy.deadLetter) {
    annotations['x-opt-deadletter-source'] = copy.deadLetter.source;
    if (copy.deadLetter.reason !== undefined) applicationProperties.DeadLetterReason = copy.deadLetter.reason;
    if (copy.deadLetter.description !== undefined) {
      applicationProperties.DeadLetterErrorDescription = copy.deadLetter.description;
    }
  }
  const delivered: Message = {
    ...original,
    delivery_count: copy.deliveryCount,
    message_annotations: annotations,
  };
  if (Object.keys(applicationProperties).length > 0) delivered.application_properties = applicationProperties;
  return delivered;
}
