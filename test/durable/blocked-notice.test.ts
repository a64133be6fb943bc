/**
 * The entries an operation refuses before any step (held when planned, or found unsafe by the check before
 * their group) are said in one activation.blocked notice: one page for all of them, whatever their groups.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/notifications';
import type { EntryPlan, WorkflowTarget } from '../../src/core/operation-plan';
import { blockedNotice, refusedResult, type EntryInput } from '../../src/orchestrators/entry';

const regions = {
  primary: { location: 'westeurope', resourceGroup: 'rg-weu' },
  secondary: { location: 'northeurope', resourceGroup: 'rg-neu' },
};
const target = (region: 'primary' | 'secondary', name: string): WorkflowTarget => ({
  region,
  ref: name,
  key: `${region}:${name}`,
  label: `${region}:${name}`,
});
const AT = '2026-03-02T08:00:00.000Z';

const input = (entry: EntryPlan, group: number, unsafe?: string, override: string[] = []): EntryInput => ({
  operationId: 'failback-2-20260302T0800',
  group,
  entry,
  override,
  direction: 'failback',
  ...(unsafe ? { unsafe } : {}),
  planId: 'contoso-orders',
  regions,
});

const heldEntry: EntryPlan = {
  entry: 'order-webhook',
  role: 'active-passive',
  steps: [],
  blocked: "held: the primary's health check fails [every-entry-runs]",
  held: 'every-entry-runs',
};
const runnable: EntryPlan = {
  entry: 'mailbox-poller',
  role: 'active-passive',
  steps: [
    { op: 'disable', target: target('secondary', 'mailbox-poller'), why: 'fence', noop: false },
    { op: 'enable', target: target('primary', 'mailbox-poller'), why: 'activate', noop: false },
  ],
};

describe('entries refused before any step', () => {
  it('a held entry is refused with no step; an unsafe one with every step blocked; an overridden one runs', () => {
    expect(refusedResult(input(heldEntry, 0), AT)).toEqual({
      entry: 'order-webhook',
      group: 0,
      steps: [],
      blocked: heldEntry.blocked,
    });
    const unsafe = refusedResult(input(runnable, 2, 'primary:mailbox-poller is Enabled'), AT);
    expect(unsafe?.blocked).toMatch(/^not running mailbox-poller: primary:mailbox-poller is Enabled/);
    expect(unsafe?.steps.map((s) => [s.action.op, s.status, s.error])).toEqual([
      ['disable', 'blocked', unsafe?.blocked],
      ['enable', 'blocked', unsafe?.blocked],
    ]);
    expect(refusedResult(input(runnable, 2), AT)).toBeUndefined();
    expect(
      refusedResult(input(runnable, 2, 'primary:mailbox-poller is Enabled', ['no-dual-active']), AT),
    ).toBeUndefined();
  });

  it('are said in one notice naming each entry, its group and why', () => {
    const inputs = [input(heldEntry, 0), input(runnable, 2, 'primary:mailbox-poller is Enabled')];
    const notice = blockedNotice(
      inputs,
      inputs.flatMap((i) => refusedResult(i, AT) ?? []),
      new Date(AT),
    );
    expect(notice?.type).toBe(EVENT_TYPES.activationBlocked);
    const data = notice!.data as {
      entries: { entry: string; group: number; held?: string }[];
      summary: string;
    };
    expect(data.entries.map((e) => [e.entry, e.group, e.held])).toEqual([
      ['order-webhook', 0, 'every-entry-runs'],
      ['mailbox-poller', 2, undefined],
    ]);
    expect(data.summary).toBe(
      'Failback of plan contoso-orders from northeurope to westeurope: 2 entries of groups 0, 2 held or blocked (order-webhook, mailbox-poller)',
    );
    expect(notice!.messageId).toBe('failback-2-20260302T0800:blocked:g0:order-webhook,g2:mailbox-poller');
    expect(blockedNotice(inputs, [], new Date(AT))).toBeUndefined();
  });
});
