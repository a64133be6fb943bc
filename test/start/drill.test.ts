/**
 * `npm run drill`, in-process: a clean game day passes every invariant and writes both reports; a passive
 * secondary enabled by hand through the simulator's ARM (split-brain before the outage) fails the drill.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, describe, expect, it } from 'vitest';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { simulatorConnection } from '../../local/sim/arm';
import { drillCommand } from '../../local/drill/command';
import type { DrillReport } from '../../local/drill/drill';
import { ROOT } from '../support/estate';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'dr-drill-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm run drill (embedded estate, in-process)', () => {
  it('a clean game day: automatic failover, forced failback, every invariant holds, reports written', async () => {
    const out = tempDir();
    const lines: string[] = [];
    const result = await drillCommand([], { rootDir: ROOT, outDir: out, print: (l) => lines.push(l) });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DrillReport;
    expect(report.error, lines.join('\n')).toBeUndefined();
    expect(result.exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.invariants.map((i) => [i.name, i.ok])).toEqual([
      ['failover-read-back-clean', true],
      ['failover-notified', true],
      ['no-split-brain', true],
      ['failback-read-back-clean', true],
      ['failback-notified', true],
      ['back-to-normal', true],
      ['router-traffic', true],
      ['split-slots-exactly-once', true],
      // Never none and break-glass, in one outage whose ARM fails every request.
      ['break-glass-supersedes', true],
      ['never-none', true],
      ['failback-read-back-clean', true],
      ['back-to-normal', true],
    ]);
    // Callers through orders-api's router: to the primary, then (once switched) the secondary, then back.
    // Only calls to the primary while it was down fail: each region's sig has its own named value, so no call
    // meets a switch half-written (refused 401).
    const fates = Object.keys(report.routerTraffic ?? {});
    expect(fates).toEqual(expect.arrayContaining(['ran:westeurope', 'ran:northeurope']));
    expect(fates.filter((f) => !f.startsWith('ran:') && f !== 'unreachable westeurope')).toEqual([]);
    expect(report.invariants.find((i) => i.name === 'router-traffic')?.detail).toMatch(
      /calls through the router of orders-api/,
    );
    // The break-glass failover had the secondary running within 2 minutes of that outage.
    expect(report.breakGlass).toMatchObject({ heldEntry: 'mailbox-poller' });
    expect(report.breakGlass!.secondaryRunningMs).toBeLessThan(120_000);
    // Detection is bounded by the policy: 3 failed probes at PT2S, plus up to one interval of phase.
    expect(report.detectionMs).toBeGreaterThan(2_000);
    expect(report.detectionMs).toBeLessThan(10_000);
    expect(report.actuationMs).toBeGreaterThanOrEqual(0);
    expect(report.actuationMs).toBeLessThan(10_000);
    expect(report.failover).toMatchObject({ outcome: 'succeeded' });
    expect(report.failback).toMatchObject({ outcome: 'succeeded', forced: true });
    expect(report.failback?.forceReason).toMatch(/soak/);
    const types = report.notifications.map((n) => n.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'com.logicappsfailover.health.degraded',
        'com.logicappsfailover.failover.completed',
        'com.logicappsfailover.failback.completed',
      ]),
    );
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('**Result: PASSED**');
    expect(md).toMatch(/\| ran:northeurope \| \d+ \|/);
    expect(md).toMatch(/\| detection \(outage to failover decision\) \| \d+\.\d s \|/);
    expect(readFileSync(join(out, 'estate.log'), 'utf8')).toMatch(/probe\s+primary FAILED/);
  }, 120_000);

  it('a passive secondary enabled by hand before the outage: split-brain found, exit code non-zero', async () => {
    const out = tempDir();
    const lines: string[] = [];
    const result = await drillCommand(['--stop-on-failure'], {
      rootDir: ROOT,
      outDir: out,
      print: (l) => lines.push(l),
      beforeDrill: async (estate) => {
        // The demo broker's key is generated: the broker's well-known default key cannot forge an event.
        const topic = estate.notificationEntity;
        const known = estate.broker.connectionString.replace(
          /SharedAccessKey=[^;]+/,
          'SharedAccessKey=local-broker-key',
        );
        expect(known).not.toBe(estate.broker.connectionString);
        const forger = new ServiceBusClient(known, { retryOptions: { maxRetries: 0, timeoutInMs: 3000 } });
        try {
          await expect(
            forger.createSender(topic).sendMessages({ body: { type: 'forged' } }),
          ).rejects.toMatchObject({ code: 'UnauthorizedAccess' });
        } finally {
          await forger.close();
        }
        expect(estate.notifications().map((n) => n.type)).not.toContain('(not a CloudEvent)');
        const arm = createArmLogicAppsControl({ ...simulatorConnection(estate.sim), maxRetries: 0 });
        const { secondary } = estate.plan;
        await arm.setState(
          {
            subscriptionId: secondary.subscriptionId,
            resourceGroup: secondary.resourceGroup,
            name: 'order-webhook',
          },
          'Enabled',
        );
      },
    });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DrillReport;
    expect(report.ok).toBe(false);
    const splitBrain = report.invariants.find((i) => i.name === 'no-split-brain');
    expect(splitBrain?.ok).toBe(false);
    expect(splitBrain?.problems.join('\n')).toContain(
      '"order-webhook" (active-passive) is enabled in both regions',
    );
    // The rest of the failover was fine: only the hand-made overlap is reported.
    expect(report.invariants.filter((i) => !i.ok).map((i) => i.name)).toEqual(['no-split-brain']);
    expect(report.error).toMatch(/stop-on-failure/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('**Result: FAILED**');
    expect(lines.join('\n')).toContain('FAIL  no-split-brain');
  }, 90_000);
});
