/**
 * AMQP link addresses as the Service Bus SDK writes them: `queue`, `topic`,
 * `topic/Subscriptions/sub`, each optionally followed by `/$DeadLetterQueue` or `/$management`.
 */

export const CBS_ADDRESS = '$cbs';
export const MANAGEMENT_SUFFIX = '$management';
export const DEAD_LETTER_SUFFIX = '$DeadLetterQueue';

export type ParsedAddress =
  | { kind: 'cbs' }
  | { kind: 'management'; entityPath: string }
  | { kind: 'entity'; entityPath: string; deadLetter: boolean };

/** Drops a leading `scheme://host/` so absolute and relative addresses compare equal. */
export function stripHost(address: string): string {
  const schemeEnd = address.indexOf('://');
  if (schemeEnd < 0) return address.replace(/^\/+/, '');
  const pathStart = address.indexOf('/', schemeEnd + 3);
  return pathStart < 0 ? '' : address.slice(pathStart + 1);
}

export function parseAddress(address: string): ParsedAddress {
  const path = stripHost(address).replace(/\/+$/, '');
  if (path === CBS_ADDRESS) return { kind: 'cbs' };
  const segments = path.split('/');
  const last = segments[segments.length - 1];
  if (last === MANAGEMENT_SUFFIX) return { kind: 'management', entityPath: segments.slice(0, -1).join('/') };
  if (last === DEAD_LETTER_SUFFIX) {
    return { kind: 'entity', entityPath: segments.slice(0, -1).join('/'), deadLetter: true };
  }
  return { kind: 'entity', entityPath: path, deadLetter: false };
}

/** `topic/Subscriptions/sub` → its parts; undefined for anything else. */
export function parseSubscriptionPath(
  entityPath: string,
): { topic: string; subscription: string } | undefined {
  const match = /^([^/]+)\/subscriptions\/([^/]+)$/i.exec(entityPath);
  if (!match?.[1] || !match[2]) return undefined;
  return { topic: match[1], subscription: match[2] };
}

/** Service Bus entity names are case-insensitive. */
export function entityKey(entityPath: string): string {
  return stripHost(entityPath).replace(/\/+$/, '').toLowerCase();
}
