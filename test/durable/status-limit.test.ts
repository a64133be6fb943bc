/**
 * Durable custom status is limited to 16 KB of UTF-16 JSON (the local host fails an orchestration over it, as
 * the extension does). The monitor keeps 50 answers and every pending fence in its input; what it publishes
 * is trimmed to fit, and every reader takes the full state from the input.
 */
import { describe, expect, it } from 'vitest';
import {
  CUSTOM_STATUS_LIMIT_BYTES,
  MONITOR_SIGNAL,
  RELEASED_BUDGET_BYTES,
  fitMonitorStatus,
  fitReleased,
  monitorInstanceId,
  utf16Bytes,
  type MonitorStatus,
  type Signal,
} from '../../src/durable/contracts';
import { estatePerTest } from '../support/estate';
import type { WorkflowTarget } from '../../src/core/planner';

const estates = estatePerTest();

const failback = (i: number): Signal => ({
  kind: 'request-operation',
  id: `failback-${i}-${'k'.repeat(60)}`,
  request: {
    direction: 'failback',
    kind: 'planned',
    trigger: 'manual',
    caller: { by: `operator-${i}@contoso.example`, reason: 'r'.repeat(400) },
    override: [],
  },
});

describe('the monitor under the 16 KB custom status limit', () => {
  it('keeps running after 60 refused failbacks: the published copy fits, the input keeps every answer of the day', async () => {
    const e = await estates.start();
    await e.advance(60_000);
    const monitorId = monitorInstanceId(e.plan.id);
    for (let i = 0; i < 60; i++) {
      e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, failback(i));
      await e.host.runUntilIdle();
    }
    const instance = e.host.durable.getStatus(monitorId)!;
    expect(instance.runtimeStatus).toBe('Running');
    const published = instance.customStatus as MonitorStatus;
    expect(utf16Bytes(published)).toBeLessThanOrEqual(CUSTOM_STATUS_LIMIT_BYTES);
    expect(published.omitted?.answers).toBeGreaterThan(0);
    // The newest answer is always published; the full state (input) keeps the day's answers (by age, not count).
    expect(published.answers.at(-1)?.id).toBe(failback(59).id);
    const full = e.monitor();
    expect(full.answers).toHaveLength(60);
    expect(full.answers.every((a) => a.status === 'refused')).toBe(true);
    expect(full.answers[0]?.id).toBe(failback(0).id);

    // It still probes and fails over: nothing is stuck behind a status it cannot store.
    e.outage('westeurope', { kind: 'down', mode: 'refused' });
    await e.advance(5 * 60_000);
    expect(e.monitor().state.mode).toBe('failed-over');
    expect(e.host.durable.getStatus(monitorId)?.runtimeStatus).toBe('Running');
  });
});

describe('fitMonitorStatus', () => {
  const probe = (i: number) => ({
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    healthy: false,
    latencyMs: 1,
    failure: 'timeout' as const,
    detail: 'd'.repeat(200),
  });
  const target = (i: number) => ({ region: 'primary', key: `wf-${i}`, label: `primary:wf-${i}` });
  const big = {
    planId: 'p',
    state: { recentProbes: Array.from({ length: 20 }, (_, i) => probe(i)) },
    pendingFences: Array.from({ length: 400 }, (_, i) => target(i)),
    answers: Array.from({ length: 50 }, (_, i) => ({
      id: `a${i}`,
      status: 'refused',
      reason: 'x'.repeat(300),
    })),
    operationSeq: 0,
    executions: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
  } as unknown as MonitorStatus;

  it('returns a status that fits unchanged', () => {
    const small = { ...big, answers: big.answers.slice(-1), pendingFences: [], state: { recentProbes: [] } };
    expect(fitMonitorStatus(small as unknown as MonitorStatus)).toBe(small);
  });

  it('drops oldest answers, then old probes, then fences beyond the budget, and counts each', () => {
    const fitted = fitMonitorStatus(big);
    expect(utf16Bytes(fitted)).toBeLessThanOrEqual(CUSTOM_STATUS_LIMIT_BYTES - 1024);
    expect(fitted.answers.map((a) => a.id)).toEqual(['a49']);
    expect(fitted.state.recentProbes.map((p) => p.at)).toEqual([probe(19).at]);
    expect(fitted.pendingFences[0]).toEqual(target(0));
    expect(fitted.omitted).toEqual({
      answers: 49,
      recentProbes: 19,
      pendingFences: 400 - fitted.pendingFences.length,
    });
    expect(fitted.omitted!.pendingFences).toBeGreaterThan(0);
  });
});

describe("a running operation's released fences", () => {
  it('are published within a budget, oldest first, so a large plan never pushes its status past 16 KB', () => {
    const target = (i: number) =>
      ({
        region: 'primary',
        key: `sub/rg-${i}/workflow-${i}-${'x'.repeat(40)}`,
        label: `primary:workflow-${i}`,
        ref: { subscriptionId: 'sub', resourceGroup: `rg-${i}`, name: `workflow-${i}` },
      }) as unknown as WorkflowTarget;
    const released = Array.from({ length: 500 }, (_, i) => target(i));
    const working = Array.from({ length: 300 }, (_, i) => `dr-op-plan-failover-1-g3-e${i}`);
    const fitted = fitReleased(released, working);
    expect(utf16Bytes(fitted)).toBeLessThanOrEqual(RELEASED_BUDGET_BYTES + 64);
    expect(fitted.released.length).toBeGreaterThan(0);
    expect(fitted.released).toEqual(released.slice(0, fitted.released.length));
    expect(utf16Bytes(fitted) + 2_000).toBeLessThan(CUSTOM_STATUS_LIMIT_BYTES);
    // A small operation publishes everything.
    expect(fitReleased(released.slice(0, 3), working.slice(0, 2))).toEqual({
      released: released.slice(0, 3),
      working: working.slice(0, 2),
    });
  });
});

describe('fitMonitorStatus with many drifts', () => {
  it('drops drifts beyond the first (counted) so a thousand drifting workflows never fail the monitor', () => {
    const drift = Array.from({ length: 1000 }, (_, i) => ({
      key: `secondary:wf-${i}|every-entry-runs`,
      entry: `wf-${i}`,
      workflow: `secondary:wf-${i}`,
      region: 'secondary',
      rule: 'every-entry-runs',
      message: `secondary wf-${i} is Disabled: runs nowhere`,
    }));
    const status = {
      planId: 'p',
      state: { recentProbes: [] },
      pendingFences: [],
      answers: [],
      drift,
      operationSeq: 0,
      executions: 1,
      updatedAt: '2026-01-01T00:00:00.000Z',
    } as unknown as MonitorStatus;
    const fitted = fitMonitorStatus(status);
    expect(utf16Bytes(fitted)).toBeLessThanOrEqual(CUSTOM_STATUS_LIMIT_BYTES - 1024);
    expect(fitted.drift![0]).toEqual(drift[0]);
    expect(fitted.omitted).toEqual({
      answers: 0,
      recentProbes: 0,
      pendingFences: 0,
      drift: 1000 - fitted.drift!.length,
    });
  });
});
