import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/notifications';
import { NOTIFICATION_DOCS, notificationTable, tableCells } from '../support/notifications';

const DOC = join(__dirname, '../../docs/notifications.md');

describe('the notification contract', () => {
  it('docs/notifications.md carries the table rendered from the contract (every type, every data field)', () => {
    expect(tableCells(readFileSync(DOC, 'utf8'))).toEqual(notificationTable());
  });

  it('describes exactly the event types the control plane emits', () => {
    expect(Object.keys(NOTIFICATION_DOCS).sort()).toEqual(Object.values(EVENT_TYPES).sort());
  });
});
