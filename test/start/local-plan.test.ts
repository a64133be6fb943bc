import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkNoSplitBrain,
  checkRouterTraffic,
  checkSplitSlots,
  targetKeyOfResourceId,
  type RouterCall,
} from '../../local/drill/invariants';
import { drillSplitAnchor } from '../../local/drill/command';
import { nextOccurrence, parseNcrontab } from '../../local/host/ncrontab';
import { loadLocalPlan } from '../../local/start/embedded';
import { LocalCadenceError, localDemoPlan } from '../../local/start/local-plan';
import { WatchdogScheduleError, watchdogScheduleFor } from '../../src/config/watchdog-schedule';
import { LOCAL_FUNCTION_KEY, StartSettingsError, startSettings } from '../../local/start/settings';
import { ROOT, EXAMPLE_PLAN } from '../support/estate';

const example = () => JSON.parse(readFileSync(EXAMPLE_PLAN, 'utf8')) as Record<string, any>;

describe('the local demo plan', () => {
  it('shortens probe interval, health-check timeout and split cadences, and the result still loads', () => {
    const { plan, notes } = loadLocalPlan(EXAMPLE_PLAN, { probeInterval: 'PT2S', splitEvery: 'PT1M' });
    expect(plan.policy.probeInterval).toBe('PT2S');
    expect(plan.healthCheck.timeout).toBe('PT1S'); // half the interval: probes never overlap
    const splits = plan.workflows.filter((w) => w.role === 'split-recurrence');
    expect(splits.map((w) => w.schedule?.every)).toEqual(['PT1M', 'PT1M']);
    expect(notes).toContain('probe interval PT30S -> PT2S');
    expect(notes.some((n) => n.includes('nightly-settlement') && n.includes('PT1H -> PT1M'))).toBe(true);
    // Everything else is the example's.
    expect(plan.workflows.map((w) => w.name)).toEqual(example().workflows.map((w: any) => w.name));
    expect(plan.policy.failureThreshold).toBe(example().policy.failureThreshold);
  });

  it('moves the split slot grid when an anchor is given, leaves shorter settings alone', () => {
    const doc = example();
    doc.healthCheck.timeout = 'PT1S';
    const { document, notes } = localDemoPlan(doc, {
      probeInterval: 'PT5S',
      splitEvery: 'PT1M',
      splitAnchor: '2026-03-02T08:00:17Z',
    });
    expect((document.healthCheck as any).timeout).toBe('PT1S');
    expect(notes.some((n) => n.includes('timeout'))).toBe(false);
    const splits = (document.workflows as any[]).filter((w) => w.role === 'split-recurrence');
    expect(splits.map((w) => w.schedule.anchor)).toEqual(['2026-03-02T08:00:17Z', '2026-03-02T08:00:17Z']);
    expect(doc.policy.probeInterval).toBe('PT30S'); // the input is not mutated
  });

  it('refuses cadences the watchdog cannot tick at', () => {
    expect(() => localDemoPlan(example(), { probeInterval: 'PT0.5S', splitEvery: 'PT1M' })).toThrow(
      LocalCadenceError,
    );
    expect(() => localDemoPlan(example(), { probeInterval: 'PT2M', splitEvery: 'PT1M' })).toThrow(
      /under a minute/,
    );
    expect(() => localDemoPlan(example(), { probeInterval: 'soon', splitEvery: 'PT1M' })).toThrow(
      /DR_LOCAL_PROBE_INTERVAL/,
    );
  });

  it('writes the watchdog schedule with seconds, once per probe interval', () => {
    expect(watchdogScheduleFor('PT2S')).toBe('*/2 * * * * *');
    expect(watchdogScheduleFor('PT1S')).toBe('* * * * * *');
    expect(watchdogScheduleFor('PT10S')).toBe('*/10 * * * * *');
    expect(watchdogScheduleFor('PT30S')).toBe('*/30 * * * * *');
    expect(watchdogScheduleFor('PT1M')).toBe('0 * * * * *');
    expect(watchdogScheduleFor('PT5M')).toBe('0 */5 * * * *');
    expect(watchdogScheduleFor('PT2H')).toBe('0 0 */2 * * *');
    expect(watchdogScheduleFor('P1D')).toBe('0 0 0 * * *');
    // Not a regular NCRONTAB step: the longest regular period below it, so no probe cycle lacks a tick.
    expect(watchdogScheduleFor('PT45S')).toBe('*/30 * * * * *');
    expect(watchdogScheduleFor('PT90S')).toBe('0 * * * * *');
    expect(watchdogScheduleFor('PT7M')).toBe('0 */6 * * * *');
    expect(() => watchdogScheduleFor('PT0.5S')).toThrow(WatchdogScheduleError);
  });

  it('every probe cycle of intervals from 1 s to a day gets at least one tick', () => {
    // The monitor probes once per floor(time / interval) cycle: a cycle without a tick would be a skipped probe.
    for (const seconds of [1, 2, 7, 10, 13, 30, 45, 59, 60, 61, 90, 300, 420, 3600, 5400, 7200, 86_400]) {
      const schedule = parseNcrontab(watchdogScheduleFor(`PT${seconds}S`));
      const intervalMs = seconds * 1000;
      const ticks: number[] = [];
      let at = Date.parse('2026-03-02T00:00:00Z') - 1;
      const horizon = at + Math.max(130 * intervalMs, 2 * 3_600_000);
      for (;;) {
        const next = nextOccurrence(schedule, at);
        if (next === undefined || next > horizon) break;
        ticks.push((at = next));
      }
      const cycles = new Set(ticks.map((t) => Math.floor(t / intervalMs)));
      const first = Math.floor(ticks[0]! / intervalMs);
      const last = Math.floor(ticks.at(-1)! / intervalMs);
      expect(cycles.size, `PT${seconds}S`).toBe(last - first + 1);
    }
  });

  it('puts the drill slot boundary ~20 s ahead on a whole second', () => {
    const now = Date.parse('2026-03-02T08:00:10.400Z');
    expect(drillSplitAnchor(now)).toBe('2026-03-02T07:59:30Z');
  });
});

describe('npm start settings', () => {
  it('embedded without a plan: default ports, fixed key, AZURE_* reported as ignored', () => {
    const s = startSettings({ AZURE_CLIENT_ID: 'x' }, ROOT);
    expect(s).toMatchObject({
      mode: 'embedded',
      httpPort: 7071,
      simPort: 7072,
      functionKey: LOCAL_FUNCTION_KEY,
      keepState: false,
      cadence: { probeInterval: 'PT2S', splitEvery: 'PT1M' },
      ignoredAzure: ['AZURE_CLIENT_ID'],
      storeDir: join(ROOT, '.durable-store'),
    });
  });

  it('Azure when DR_PLAN_PATH or DR_PLAN is set', () => {
    expect(startSettings({ DR_PLAN_PATH: 'plan.json', FUNCTIONS_KEYS: 'a,b' }, ROOT)).toMatchObject({
      mode: 'azure',
      functionKeys: ['a', 'b'],
      planSource: 'DR_PLAN_PATH=plan.json',
    });
    expect(startSettings({ DR_PLAN: '{}' }, ROOT).mode).toBe('azure');
  });

  it('names a bad port', () => {
    expect(() => startSettings({ SIM_PORT: 'abc' }, ROOT)).toThrow(StartSettingsError);
    expect(() => startSettings({ PORT: '70000' }, ROOT)).toThrow(/PORT="70000"/);
  });
});

describe('drill invariants over the simulator records', () => {
  const { plan } = loadLocalPlan(EXAMPLE_PLAN, { probeInterval: 'PT2S', splitEvery: 'PT1M' });
  const sub = plan.primary.subscriptionId;
  const id = (rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Logic/workflows/${name}`;
  const T = Date.parse('2026-03-02T08:00:00Z');
  const at = (s: number) => new Date(T + s * 1000).toISOString();
  const seed = [
    {
      seq: 1,
      workflowId: id('rg-orders-weu', 'order-webhook'),
      region: 'westeurope',
      to: 'Enabled',
      realTime: at(-100),
    },
    {
      seq: 2,
      workflowId: id('rg-orders-neu', 'order-webhook'),
      region: 'northeurope',
      to: 'Disabled',
      realTime: at(-100),
    },
  ];

  it('maps simulator ids to plan keys', () => {
    expect(targetKeyOfResourceId(id('RG-A', 'Wf'))).toBe(`${sub}/rg-a/wf`);
    expect(
      targetKeyOfResourceId(
        `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Web/sites/s1/workflows/w`,
      ),
    ).toBe(`${sub}/rg/sites/s1/w`);
  });

  it('an active-passive workflow enabled in two live regions is split-brain; with the primary down it is not', () => {
    const enableSecondary = {
      seq: 3,
      workflowId: id('rg-orders-neu', 'order-webhook'),
      region: 'northeurope',
      to: 'Enabled',
      realTime: at(10),
    };
    const bad = checkNoSplitBrain(plan, [...seed, enableSecondary], {
      from: T,
      to: T + 60_000,
      down: [],
      graceMs: 3_000,
    });
    expect(bad.ok).toBe(false);
    expect(bad.problems[0]).toContain('order-webhook');
    expect(bad.problems[0]).toContain(at(10));

    const down = [{ region: 'westeurope', from: T + 5_000 }];
    const fine = checkNoSplitBrain(plan, [...seed, enableSecondary], {
      from: T,
      to: T + 60_000,
      down,
      graceMs: 3_000,
    });
    expect(fine.ok).toBe(true);

    // The primary returns at +30 s; its fence lands within the grace: fine. Later than the grace: split-brain.
    const back = [{ region: 'westeurope', from: T + 5_000, to: T + 30_000 }];
    const fence = (s: number) => ({
      seq: 4,
      workflowId: id('rg-orders-weu', 'order-webhook'),
      region: 'westeurope',
      to: 'Disabled',
      realTime: at(s),
    });
    expect(
      checkNoSplitBrain(plan, [...seed, enableSecondary, fence(32)], {
        from: T,
        to: T + 60_000,
        down: back,
        graceMs: 3_000,
      }).ok,
    ).toBe(true);
    expect(
      checkNoSplitBrain(plan, [...seed, enableSecondary, fence(40)], {
        from: T,
        to: T + 60_000,
        down: back,
        graceMs: 3_000,
      }).ok,
    ).toBe(false);
  });

  it('a split slot that runs twice, or is skipped after the failover was verified, fails', () => {
    const run = (rg: string, name: string, region: string, slot: string) => ({
      workflowId: id(rg, name),
      region,
      origin: 'recurrence',
      slotTime: slot,
    });
    // split-report, anchor 2024-01-01T00:00:00Z every PT1M: slots on every whole minute.
    const window = {
      detectedAt: T - 1,
      coveredFrom: T + 30_000,
      until: T + 180_000,
      down: [],
      graceMs: 3_000,
    };
    const settlement = (slot: string) => run('rg-orders-neu', 'nightly-settlement', 'northeurope', slot);
    const runs = [
      run('rg-orders-neu', 'split-report-even', 'northeurope', at(0)),
      run('rg-orders-neu', 'split-report-odd', 'northeurope', at(60)),
      run('rg-orders-neu', 'split-report-even', 'northeurope', at(120)),
      run('rg-orders-neu', 'split-report-odd', 'northeurope', at(180)),
      ...[0, 60, 120, 180].map((s) => settlement(at(s))),
    ];
    expect(checkSplitSlots(plan, runs, window)).toMatchObject({ ok: true, problems: [] });

    const twice = [...runs, run('rg-orders-weu', 'split-report-even', 'westeurope', at(120))];
    const dup = checkSplitSlots(plan, twice, window);
    expect(dup.ok).toBe(false);
    expect(dup.problems).toEqual([`split-report: slot ${at(120)} ran 2 times (northeurope, westeurope)`]);

    const skipped = checkSplitSlots(
      plan,
      runs.filter((r) => r.slotTime !== at(60) || r.workflowId.includes('settlement')),
      window,
    );
    expect(skipped.problems).toEqual([`split-report: slot ${at(60)} did not run in either region`]);

    // Slot 0 falls between detection and the verified failover: lost with the region is allowed.
    const lost = checkSplitSlots(
      plan,
      runs.filter((r) => r.slotTime !== at(0)),
      window,
    );
    expect(lost.ok).toBe(true);
  });
});

describe('drill invariant: calls through the router', () => {
  const regions = { primary: 'westeurope', secondary: 'northeurope' };
  const call = (at: number, fate: string, extra: Partial<RouterCall> = {}): RouterCall => {
    const [outcome, region] = fate.startsWith('ran:')
      ? (['ran', fate.slice(4)] as const)
      : fate === 'nowhere'
        ? (['nowhere', undefined] as const)
        : fate.startsWith('refused')
          ? (['refused', fate.split(' ')[1]] as const)
          : (['unreachable', fate.split(' ')[1]] as const);
    return { at, entry: 'orders-api', outcome, fate, ...(region ? { region } : {}), ...extra };
  };
  const marks = { failoverDoneAt: 100, restoredAt: 200, failbackDoneAt: 300 };
  const clean = [
    call(10, 'ran:westeurope'),
    call(50, 'unreachable westeurope'), // the primary down, before the switch: allowed
    call(150, 'ran:northeurope'),
    call(250, 'ran:northeurope'),
    call(350, 'ran:westeurope'),
  ];

  it('passes a failover and failback that callers followed', () => {
    expect(checkRouterTraffic(clean, marks, regions)).toMatchObject({ ok: true, problems: [] });
  });

  it('fails a call routed nowhere, one that reached a disabled workflow, and one in the wrong region', () => {
    const bad = [
      ...clean,
      call(60, 'nowhere'),
      call(260, 'refused:409 westeurope', { code: 'WorkflowDisabled' }),
      call(160, 'ran:westeurope'),
    ];
    const r = checkRouterTraffic(bad, marks, regions);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.stringMatching(/routed nowhere/),
      expect.stringMatching(/reached a disabled workflow in westeurope/),
      expect.stringMatching(/after the failover it went ran:westeurope, not ran:northeurope/),
    ]);
  });

  it('fails a call sent with another region’s sig (401), even before the failover finished', () => {
    const r = checkRouterTraffic(
      [...clean, call(90, 'refused:401 northeurope', { status: 401 })],
      marks,
      regions,
    );
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.stringMatching(/refused 401 in northeurope: sent without that region's sig/),
    ]);
  });

  it('cannot pass by sending no call after the failover or the failback', () => {
    const r = checkRouterTraffic([call(10, 'ran:westeurope')], marks, regions);
    expect(r.problems).toEqual([
      'no call was sent after the failover',
      'no call was sent after the failback',
    ]);
  });
});
