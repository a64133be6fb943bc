import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogicManagementClient } from '@azure/arm-logic';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { loadPlan } from '../../src/plan/load';
import {
  armClientOptionsFor,
  simTokenCredential,
  startArmSimulator,
  type ArmSimulator,
} from '../../src/sim/arm';
import { loadEntryDefinitions, sampleEstateSeed } from '../../src/sim/sample-estate';

const planFile = join(__dirname, '../../examples/plan.json');
const { plan } = loadPlan({ kind: 'file', path: planFile });
let sim: ArmSimulator;

async function dr(...args: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: {} };
  const code = await main([...args, '--sim', sim.controlEndpoint!], io);
  return { code, out, err };
}

const logic = () =>
  new LogicManagementClient(simTokenCredential, plan.secondary.subscriptionId, armClientOptionsFor(sim));

beforeAll(async () => {
  sim = await startArmSimulator({
    controlPort: 0,
    seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, planFile)),
  });
});
afterAll(async () => sim?.stop());

describe('dr ready and dr whatif against the seeded two-region estate', () => {
  it('ready: the sample estate is ready', async () => {
    const r = await dr('ready', planFile);
    expect(r.err).toBe('');
    expect(r.out).toContain('READY');
    expect(r.out).not.toContain('FAIL');
    expect(r.code).toBe(0);
  });

  it('whatif failover: fences then activations, group by group, no-ops marked, nothing changed', async () => {
    const before = JSON.stringify(sim.workflows());
    const r = await dr('whatif', planFile, 'failover');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^planned failover: 3 group\(s\)/);
    expect(r.out).toMatch(
      /order-webhook \[active-passive\]\n\s+1\. disable primary:order-webhook \(fence\)\n\s+2\. enable secondary:order-webhook \(activate\)/,
    );
    expect(r.out).toContain('enable secondary:split-report-odd (activate)  [no-op: already Enabled]');
    expect(r.out).toMatch(/split-report \[split-recurrence\] just after a PT10M slot boundary/);
    expect(JSON.stringify(sim.workflows())).toBe(before);
    const json = JSON.parse((await dr('whatif', planFile, 'failback', '--json')).out);
    expect(json).toMatchObject({ direction: 'failback', kind: 'planned' });
  });

  it('whatif with the primary region down: emergency, pending fences, secondary still activated', async () => {
    sim.outage(plan.primary.location, { kind: 'down', mode: 'refused' });
    try {
      const r = await dr('whatif', planFile, 'failover');
      expect(r.out).toMatch(/^emergency failover/);
      expect(r.out).toContain('record pending fence primary:order-webhook');
      expect(r.out).toContain('enable secondary:order-webhook (activate)');
      const ready = await dr('ready', planFile);
      expect(ready.code).toBe(1);
      expect(ready.out).toMatch(/health-check\s+FAIL/);
    } finally {
      sim.restore(plan.primary.location);
      await sim.settle();
    }
  });

  it('ready: finds a passive secondary left enabled (both regions active) and a drifted definition', async () => {
    const client = logic();
    await client.workflows.enable(plan.secondary.resourceGroup, 'order-webhook');
    const mailbox = await client.workflows.get(plan.secondary.resourceGroup, 'mailbox-poller');
    const definition = structuredClone(mailbox.definition) as {
      triggers: Record<string, { recurrence: { interval: number } }>;
    };
    Object.values(definition.triggers)[0]!.recurrence.interval = 15;
    await client.workflows.createOrUpdate(plan.secondary.resourceGroup, 'mailbox-poller', {
      ...mailbox,
      definition,
    });
    try {
      const r = await dr('ready', planFile);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(
        /order-webhook\s+state\s+FAIL\s+secondary:order-webhook is Enabled, expected Disabled/,
      );
      expect(r.out).toMatch(/order-webhook\s+schedule\s+FAIL .*enabled in both regions \[no-dual-active\]/);
      expect(r.out).toMatch(
        /mailbox-poller\s+drift\s+FAIL .*differ at \$\.triggers\.When_a_new_email_arrives\.recurrence\.interval/,
      );
      const json = JSON.parse((await dr('ready', planFile, '--json')).out);
      expect(json.ready).toBe(false);
    } finally {
      await client.workflows.disable(plan.secondary.resourceGroup, 'order-webhook');
      await client.workflows.createOrUpdate(plan.secondary.resourceGroup, 'mailbox-poller', mailbox);
    }
  });

  it('a simulator that is not running is a clear usage error', async () => {
    let err = '';
    const code = await main(['ready', planFile, '--sim', 'http://127.0.0.1:9'], {
      out: () => undefined,
      err: (t) => (err += t),
      env: {},
    });
    expect(code).toBe(2);
    expect(err).toContain('cannot reach the simulator at http://127.0.0.1:9');
  });
});
