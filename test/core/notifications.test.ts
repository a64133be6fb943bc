import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, notificationOf, placedLabel } from '../../src/core/notifications';
import { NOTIFICATION_DOCS, commonFieldsLine, notificationTable, tableCells } from '../support/notifications';

const DOC = join(__dirname, '../../docs/notifications.md');

describe('the notification contract', () => {
  it('docs/notifications.md carries the table rendered from the contract (every type, every data field)', () => {
    expect(tableCells(readFileSync(DOC, 'utf8'))).toEqual(notificationTable());
  });

  it('docs/notifications.md describes the fields every event carries (summary, regions)', () => {
    // One line of the document, however a formatter wrapped it.
    const doc = readFileSync(DOC, 'utf8').replace(/\s*\n\s*/g, ' ');
    expect(doc).toContain(commonFieldsLine());
  });

  it('describes exactly the event types the control plane emits', () => {
    expect(Object.keys(NOTIFICATION_DOCS).sort()).toEqual(Object.values(EVENT_TYPES).sort());
  });
});

describe('the one-line summary every notification carries', () => {
  const regions = {
    primary: { location: 'westeurope', resourceGroup: 'rg-weu' },
    secondary: { location: 'northeurope', resourceGroup: 'rg-neu' },
  };
  const facts = {
    operationId: 'failover-1-20260302T0800',
    direction: 'failover' as const,
    kind: 'emergency' as const,
    trigger: 'automatic' as const,
    caller: { by: 'automatic', reason: 'health check failed' },
    override: [],
  };
  const completed = (held: number) =>
    notificationOf(
      EVENT_TYPES.failoverCompleted,
      {
        planId: 'contoso-orders',
        correlationId: 'op',
        idParts: ['op', 'completed'],
        now: new Date(0),
        regions,
      },
      {
        ...facts,
        outcome: 'completed-with-errors',
        results: Array.from({ length: 3 }, (_, i) => ({
          entry: `e${i}`,
          ...(i < held ? { blocked: 'held: its copy in the secondary is missing' } : {}),
          steps: [],
        })),
        checks: [],
        readBack: [],
        pendingFences: [],
        moved: held ? ('partial' as const) : ('all' as const),
        notMoved: [],
        rto: { measuredMs: 41_200 },
      },
    );

  it('names the plan, both Azure regions, the time it took and what was held', () => {
    const n = completed(2);
    expect(n.data.summary).toBe(
      'Failover of plan contoso-orders from westeurope to northeurope completed with errors in 41 s; 2 entries held',
    );
    expect(n.data.regions).toEqual(regions);
  });

  it('a failback goes from the secondary to the primary; a pause says until when, by whom and why', () => {
    const failback = notificationOf(
      EVENT_TYPES.failbackFailed,
      { planId: 'p', correlationId: 'op', idParts: ['op', 'failed'], now: new Date(0), regions },
      { ...facts, direction: 'failback', error: 'could not read the estate' },
    );
    expect(failback.data.summary).toBe(
      'Failback of plan p from northeurope to westeurope failed: could not read the estate',
    );
    const paused = notificationOf(
      EVENT_TYPES.paused,
      { planId: 'p', correlationId: 'm', idParts: ['p', 'pause'], now: new Date(0), regions },
      {
        caller: { by: 'alice@contoso.com', reason: 'network maintenance' },
        until: '2026-03-02T10:00:00.000Z',
        monitor: {
          mode: 'monitoring',
          activeRegion: 'primary',
          consecutiveFailures: 0,
          policy: {
            failureThreshold: 3,
            recoveryThreshold: 5,
            automaticFailover: true,
            failback: 'manual',
            cooldown: 'PT30M',
            maxPause: 'PT8H',
          },
        },
      },
    );
    expect(paused.data.summary).toBe(
      'Plan p: automatic operations paused until 2026-03-02T10:00:00.000Z by alice@contoso.com: network maintenance',
    );
  });

  it('names a target with its Azure region, or keeps the bare label when the regions are unknown', () => {
    const target = {
      region: 'primary' as const,
      ref: 'order-webhook',
      key: 'k',
      label: 'primary:order-webhook',
    };
    expect(placedLabel(target, regions)).toBe('order-webhook in westeurope (primary)');
    expect(placedLabel(target, undefined)).toBe('primary:order-webhook');
  });
});
