import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  notificationOf,
  placedLabel,
  summaryOf,
  type EventType,
  type MonitorSnapshot,
  type NotificationData,
} from '../../src/core/notifications';
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
  const monitor: MonitorSnapshot = {
    mode: 'degraded',
    activeRegion: 'primary',
    consecutiveFailures: 3,
    policy: {
      failureThreshold: 3,
      recoveryThreshold: 5,
      automaticFailover: true,
      failback: 'manual',
      cooldown: 'PT30M',
      maxPause: 'PT8H',
    },
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
        monitor: { ...monitor, mode: 'monitoring', consecutiveFailures: 0 },
      },
    );
    expect(paused.data.summary).toBe(
      'Plan p: automatic operations paused until 2026-03-02T10:00:00.000Z by alice@contoso.com: network maintenance; active region westeurope (primary)',
    );
  });

  const evidence = {
    firstFailureAt: '2026-03-02T08:00:00.000Z',
    consecutiveFailures: 3,
    recentProbes: [{ at: '2026-03-02T08:01:00.000Z', healthy: false, status: 503, latencyMs: 20 }],
  };
  const done = {
    ...facts,
    outcome: 'succeeded' as const,
    results: [],
    checks: [],
    readBack: [],
    pendingFences: [],
    moved: 'all' as const,
    notMoved: [],
    rto: { measuredMs: 41_200 },
  };
  const drift = {
    operationId: 'failover-1-20260302T0800',
    entry: 'order-webhook',
    workflow: 'secondary:order-webhook',
    region: 'secondary' as const,
    rule: 'every-entry-runs' as const,
    message: 'secondary order-webhook is Disabled: runs nowhere',
    monitor,
  };
  const withheld = {
    reason: 'cooldown' as const,
    until: '2026-03-02T08:30:00.000Z',
    evidence,
    monitor,
  };
  /** One event of every type: a type added to EVENT_TYPES without one here fails the test below. */
  const SAMPLES: { [K in EventType]: NotificationData[K] } = {
    [EVENT_TYPES.healthDegraded]: { evidence, monitor },
    [EVENT_TYPES.failoverWithheld]: withheld,
    [EVENT_TYPES.healthRecovered]: { since: evidence.firstFailureAt, recentProbes: [], monitor },
    [EVENT_TYPES.primaryRecovered]: { since: evidence.firstFailureAt, recentProbes: [], monitor },
    [EVENT_TYPES.fenceApplied]: { applied: ['primary:order-webhook'], stillPending: [], errors: [], monitor },
    [EVENT_TYPES.operationCancelled]: {
      operationId: 'failover-1-20260302T0800',
      direction: 'failover',
      outcome: 'superseded',
      caller: { by: 'alice@contoso.com', reason: "the primary's ARM keeps failing" },
      supersededBy: 'failover-2-20260302T0805',
      monitor,
    },
    [EVENT_TYPES.estateDrifted]: drift,
    [EVENT_TYPES.driftCleared]: drift,
    [EVENT_TYPES.paused]: {
      caller: { by: 'alice@contoso.com', reason: 'maintenance' },
      until: withheld.until,
      monitor,
    },
    [EVENT_TYPES.resumed]: { caller: { by: 'alice@contoso.com', reason: 'done' }, monitor },
    [EVENT_TYPES.failoverStarted]: { ...facts, actions: ['enable secondary:order-webhook'] },
    [EVENT_TYPES.failbackStarted]: { ...facts, direction: 'failback', actions: [] },
    [EVENT_TYPES.failoverCompleted]: done,
    [EVENT_TYPES.failbackCompleted]: { ...done, direction: 'failback' },
    [EVENT_TYPES.failoverFailed]: { ...facts, error: 'could not read the estate' },
    [EVENT_TYPES.failbackFailed]: { ...facts, direction: 'failback', error: 'could not read the estate' },
    [EVENT_TYPES.overrideAccepted]: { ...facts, overrides: ['order-webhook: no-dual-active: ran'] },
    [EVENT_TYPES.activationBlocked]: {
      operationId: 'failback-2-20260302T0900',
      direction: 'failback',
      entries: [
        { entry: 'order-webhook', group: 0, reason: "held: the primary's health check fails", steps: [] },
      ],
    },
  };
  const summary = <K extends EventType>(type: K, data: NotificationData[K] = SAMPLES[type]) =>
    summaryOf(type, 'contoso-orders', data, regions);

  it('every event type has a summary of its own, never the bare event type', () => {
    for (const type of Object.values(EVENT_TYPES)) {
      expect(SAMPLES[type], `no sample event of ${type}`).toBeDefined();
      const line = summary(type);
      expect(line, type).not.toBe(`Plan contoso-orders: ${type}`);
      expect(line, type).not.toContain('com.logicappsfailover.');
      expect(line, type).toMatch(/westeurope|northeurope/);
    }
  });

  it('a cancel or a supersede says which operation, who stopped it, why, and what replaces it', () => {
    expect(summary(EVENT_TYPES.operationCancelled)).toBe(
      "Failover of plan contoso-orders from westeurope to northeurope (failover-1-20260302T0800) superseded by failover-2-20260302T0805 by alice@contoso.com: the primary's ARM keeps failing; it stops at its next step boundary, its completed notice says what it left",
    );
    expect(
      summary(EVENT_TYPES.operationCancelled, {
        ...SAMPLES[EVENT_TYPES.operationCancelled],
        direction: 'failback',
        outcome: 'cancelled',
        supersededBy: undefined,
        caller: { by: 'bob@contoso.com', reason: 'wrong plan' },
      }),
    ).toMatch(
      /^Failback of plan contoso-orders from northeurope to westeurope \(failover-1-20260302T0800\) cancelled by bob@contoso.com: wrong plan;/,
    );
  });

  it('a drift names the workflow, its Azure region, how it drifted and from which operation', () => {
    expect(summary(EVENT_TYPES.estateDrifted)).toBe(
      'Plan contoso-orders: order-webhook in northeurope (secondary) drifted from what failover-1-20260302T0800 left: secondary order-webhook is Disabled: runs nowhere [every-entry-runs]',
    );
    expect(summary(EVENT_TYPES.driftCleared)).toBe(
      'Plan contoso-orders: drift cleared: order-webhook in northeurope (secondary) is again as failover-1-20260302T0800 left it (was: secondary order-webhook is Disabled: runs nowhere [every-entry-runs])',
    );
  });

  it('a withheld failover says what happens next and when: by itself after a cooldown or a pause', () => {
    const cooldown = summary(EVENT_TYPES.failoverWithheld);
    expect(cooldown).toBe(
      'Plan contoso-orders: failover withheld although the primary (westeurope) failed 3 probes in a row: in the cooldown after the last failover; it fails over by itself at 6 failed probes in a row or at the first failed probe after the cooldown ends at 08:30:00 UTC, whichever comes first, unless paused',
    );
    expect(cooldown).not.toMatch(/person decides/);
    const paused = summary(EVENT_TYPES.failoverWithheld, { ...withheld, reason: 'paused' });
    expect(paused).toMatch(
      /fails over by itself at the first failed probe after the pause ends at 08:30:00 UTC/,
    );
    expect(paused).not.toMatch(/person decides/);
    // An until with an offset is said in UTC.
    expect(
      summary(EVENT_TYPES.failoverWithheld, { ...withheld, until: '2026-03-02T10:30:00+01:00' }),
    ).toContain('after the cooldown ends at 09:30:00 UTC');
  });

  it('a withheld failover says a person decides only when automatic failover is off', () => {
    const off = summary(EVENT_TYPES.failoverWithheld, {
      reason: 'automatic-failover-off',
      evidence,
      monitor: { ...monitor, policy: { ...monitor.policy, automaticFailover: false } },
    });
    expect(off).toBe(
      'Plan contoso-orders: failover withheld although the primary (westeurope) failed 3 probes in a row: automatic failover is off, so a person decides: fail over by hand, or wait for the primary',
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
