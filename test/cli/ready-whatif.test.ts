import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { runDr } from '../support/cli';
import { loadPlan } from '../../src/plan/load';
import { simulatorConnection, type ArmSimulator } from '../../local/sim/arm';
import { installLocalCli } from '../../local/cli/simulator';
import { startCheckedSimulator } from '../sim/arm/helpers';
import { loadEntryDefinitions, pointRoutersAtPrimary, sampleEstateSeed } from '../../local/sim/sample-estate';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createArmRouterControl } from '../../src/adapters/routers/arm';
import { oneSubscriptionSeed, simLogicClient } from '../support/arm-sim';
import { mailboxActiveActive } from '../support/plans';

const planFile = join(__dirname, '../../examples/plan.json');
const { plan } = loadPlan({ kind: 'file', path: planFile });
let sim: ArmSimulator;

const dr = (...args: string[]) => runDr([...args, '--sim', sim.controlEndpoint!]);

const logic = () => simLogicClient(sim, plan.secondary.subscriptionId);

beforeAll(async () => {
  installLocalCli(); // as bin/dr.js does: --sim goes through local/
  // Its stop() fails if any ARM answer was outside the official spec.
  sim = await startCheckedSimulator({
    controlPort: 0,
    seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, planFile)),
  });
  // As the deployment leaves it: the example plan's APIM router sends calls to the primary.
  const connection = simulatorConnection(sim);
  await pointRoutersAtPrimary(
    plan,
    createArmLogicAppsControl(connection),
    createArmRouterControl(connection),
  );
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
    expect(r.err).toBe('');
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
      // The primary's states were not read: the plan is printed, but it is not an answer (exit 3).
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/^dr whatif: \d+ of \d+ workflow state\(s\) could not be read/);
      expect(r.err).toContain('  primary:order-webhook: ');
      const json = await dr('whatif', planFile, 'failover', '--json');
      expect(json.code).toBe(3);
      expect(JSON.parse(json.out).unreadable).toContainEqual(
        expect.stringMatching(/^primary:order-webhook: /),
      );
      // A failback now would hold every entry (the primary's health check cannot even be resolved).
      const back = await dr('whatif', planFile, 'failback');
      expect(back.code).toBe(3);
      expect(back.out).toContain("BLOCKED: held: the primary's health check fails");
      expect(back.out).not.toMatch(/\d\. enable primary:/);
      // Not read is not "not ready": its own exit code (3), the unread checks marked UNREAD, none FAIL.
      const ready = await dr('ready', planFile);
      expect(ready.code).toBe(3);
      expect(ready.out).toMatch(/health-check\s+UNREAD/);
      expect(ready.out).toMatch(
        /order-webhook\s+exists\s+UNREAD\s+primary:order-webhook: ARM did not answer/,
      );
      expect(ready.out).not.toContain('FAIL');
      expect(ready.out).toMatch(/: UNKNOWN: \d+ checks could not be read \(UNREAD\)\n$/);
      const readyJson = await dr('ready', planFile, '--json');
      expect(readyJson.code).toBe(3);
      expect(JSON.parse(readyJson.out)).toMatchObject({ ready: false, unread: expect.any(Number) });
    } finally {
      sim.restore(plan.primary.location);
      await sim.settle();
    }
  });

  it('whatif failback with the primary failing its health check: every entry held, with why, as the failback would', async () => {
    const healthy = await dr('whatif', planFile, 'failback');
    expect(healthy.code).toBe(0);
    expect(healthy.out).not.toContain('held:');
    sim.outage(plan.primary.location, { kind: 'unhealthy' });
    try {
      const r = await dr('whatif', planFile, 'failback');
      expect(r.err).toBe('');
      expect(r.code).toBe(0); // every state was read: the gate's answer is an answer
      for (const entry of plan.workflows)
        expect(r.out).toMatch(
          new RegExp(
            `${entry.name} \\[[\\w-]+\\][^\\n]*\\n\\s+BLOCKED: held: the primary's health check fails \\(.*\\), so standing the secondary down would leave ${entry.name} running nowhere`,
          ),
        );
      expect(r.out).not.toMatch(/\d\. (enable|disable|switch) /);
      expect(r.out).toMatch(/\n0 ARM write\(s\)/);
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

  /** Runs `dr ready` with the secondary mailbox poller's first connection edited, then puts it back. */
  async function readyWithSecondaryConnection(edit: (c: { id: string; connectionId: string }) => void) {
    const client = logic();
    const rg = plan.secondary.resourceGroup;
    const original = await client.workflows.get(rg, 'mailbox-poller');
    const parameters = structuredClone(original.parameters) as {
      $connections: { value: Record<string, { id: string; connectionId: string }> };
    };
    const [name, connection] = Object.entries(parameters.$connections.value)[0]!;
    edit(connection);
    await client.workflows.createOrUpdate(rg, 'mailbox-poller', { ...original, parameters });
    try {
      return { name, ...(await dr('ready', planFile)) };
    } finally {
      await client.workflows.createOrUpdate(rg, 'mailbox-poller', original);
    }
  }

  it('ready: a secondary whose API connection is in the primary region fails the connections check', async () => {
    const r = await readyWithSecondaryConnection((c) => {
      c.id = c.id.replace('/locations/northeurope/', '/locations/westeurope/');
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      new RegExp(
        `mailbox-poller\\s+connections\\s+FAIL\\s+secondary:mailbox-poller uses connection "${r.name}" in westeurope, not northeurope`,
      ),
    );
  });

  it('ready: a secondary whose connectionId is the primary’s connection resource fails (the managed API id is right)', async () => {
    const r = await readyWithSecondaryConnection((c) => {
      expect(c.id).toContain('/locations/northeurope/');
      c.connectionId = c.connectionId.replace(
        `/resourceGroups/${plan.secondary.resourceGroup}/`,
        `/resourceGroups/${plan.primary.resourceGroup}/`,
      );
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      new RegExp(
        `mailbox-poller\\s+connections\\s+FAIL\\s+secondary:mailbox-poller uses connection "${r.name}" through \\S+/resourceGroups/${plan.primary.resourceGroup}/providers/Microsoft.Web/connections/\\S+, the primary region's resource group`,
      ),
    );
  });

  it('ready: reads each integration account’s region through ARM; wrong-region, shared and missing ones fail', async () => {
    const sub = plan.primary.subscriptionId;
    await sim.seed(
      oneSubscriptionSeed(sub, [
        {
          name: plan.primary.resourceGroup,
          location: 'westeurope',
          integrationAccounts: [{ name: 'ia-weu' }],
        },
        {
          name: plan.secondary.resourceGroup,
          location: 'northeurope',
          integrationAccounts: [{ name: 'ia-neu' }, { name: 'ia-stray', location: 'westeurope' }],
        },
      ]),
    );
    const accountId = (rg: string, name: string) =>
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Logic/integrationAccounts/${name}`;
    const client = logic();
    const originals = await Promise.all(
      [plan.primary, plan.secondary].map((r) => client.workflows.get(r.resourceGroup, 'order-webhook')),
    );
    const use = async (primary: string, secondary: string) => {
      await client.workflows.createOrUpdate(plan.primary.resourceGroup, 'order-webhook', {
        ...originals[0]!,
        integrationAccount: { id: primary },
      });
      await client.workflows.createOrUpdate(plan.secondary.resourceGroup, 'order-webhook', {
        ...originals[1]!,
        integrationAccount: { id: secondary },
      });
      const r = await dr('ready', planFile, '--json');
      const check = JSON.parse(r.out).checks.find(
        (c: { entry: string; check: string }) =>
          c.entry === 'order-webhook' && c.check === 'integration-account',
      );
      return { code: r.code, ...check };
    };
    const weu = accountId(plan.primary.resourceGroup, 'ia-weu');
    try {
      expect(await use(weu, accountId(plan.secondary.resourceGroup, 'ia-neu'))).toMatchObject({
        code: 0,
        status: 'ok',
        detail: expect.stringContaining('secondary:order-webhook: ia-neu in northeurope'),
      });
      expect(await use(weu, accountId(plan.secondary.resourceGroup, 'ia-stray'))).toMatchObject({
        code: 1,
        status: 'fail',
        detail: 'secondary:order-webhook (in northeurope) uses integration account ia-stray in westeurope',
      });
      const shared = await use(weu, weu);
      expect(shared).toMatchObject({ code: 1, status: 'fail' });
      expect(shared.detail).toContain('both regions use the same integration account (ia-weu)');
      expect(shared.detail).toContain(
        'secondary:order-webhook (in northeurope) uses integration account ia-weu in westeurope',
      );
      const missing = await use(weu, accountId(plan.secondary.resourceGroup, 'ia-gone'));
      expect(missing.status).toBe('fail');
      expect(missing.detail).toMatch(
        /integration account ia-gone could not be read \(.*404 ResourceNotFound/,
      );
    } finally {
      for (const [i, region] of [plan.primary, plan.secondary].entries())
        await client.workflows.createOrUpdate(region.resourceGroup, 'order-webhook', originals[i]!);
    }
  });

  it('ready: a health-check workflow without a Response action fails (probes would get a bare 202)', async () => {
    const client = simLogicClient(sim, plan.primary.subscriptionId);
    const rg = plan.primary.resourceGroup;
    const original = await client.workflows.get(rg, 'dr-healthcheck');
    const definition = structuredClone(original.definition) as { actions: Record<string, unknown> };
    definition.actions = {
      Compose: { type: 'Compose', runAfter: {}, inputs: { status: 'Healthy' } },
    };
    await client.workflows.createOrUpdate(rg, 'dr-healthcheck', { ...original, definition });
    try {
      const r = await dr('ready', planFile);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(
        /\(health check\)\s+health-check\s+FAIL\s+primary:dr-healthcheck has no Response action/,
      );
    } finally {
      await client.workflows.createOrUpdate(rg, 'dr-healthcheck', original);
    }
  });

  it('ready: a side whose ARM location is not its region fails, and dr check had warned of it', async () => {
    const stray = 'rg-orders-stray';
    await sim.seed(
      oneSubscriptionSeed(plan.secondary.subscriptionId, [
        {
          name: stray,
          location: 'westeurope',
          workflows: [
            {
              name: 'orders-api',
              state: 'Enabled',
              definition: (await logic().workflows.get(plan.secondary.resourceGroup, 'orders-api'))
                .definition as Record<string, unknown>,
            },
          ],
        },
      ]),
    );
    const raw = JSON.parse(readFileSync(planFile, 'utf8'));
    raw.workflows.find((w: { name: string }) => w.name === 'orders-api').secondary =
      `/subscriptions/${plan.secondary.subscriptionId}/resourceGroups/${stray}/providers/Microsoft.Logic/workflows/orders-api`;
    const file = join(mkdtempSync(join(tmpdir(), 'dr-ready-')), 'plan.json');
    writeFileSync(file, JSON.stringify(raw).replaceAll('../infra/', `${join(__dirname, '../../infra')}/`));

    let err = '';
    expect(await main(['check', file], { out: () => undefined, err: (t) => (err += t), env: {} })).toBe(0);
    expect(err).toContain('[side-region-unverified]');
    const r = await dr('ready', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /orders-api\s+location\s+FAIL\s+secondary:orders-api is in westeurope, not the secondary region northeurope/,
    );
  });

  it('ready: warns, without changing the verdict, that a declared stateSide makes the mailbox active-active', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dr-ready-')), 'plan.json');
    writeFileSync(file, mailboxActiveActive());
    const client = logic();
    await client.workflows.enable(plan.secondary.resourceGroup, 'mailbox-poller'); // active-active: both on
    try {
      const r = await dr('ready', file);
      expect(r.out).toContain('READY');
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^WARNING: 1 warning\(s\)/);
      expect(r.err).toContain('[state-side-overrides-classifier]');
      expect(r.err).toContain('mail will be read in both regions');
      const json = JSON.parse((await dr('ready', file, '--json')).out);
      expect(json.ready).toBe(true);
      expect(json.warnings.map((w: { rule: string }) => w.rule)).toEqual(['state-side-overrides-classifier']);
    } finally {
      await client.workflows.disable(plan.secondary.resourceGroup, 'mailbox-poller');
    }
  });

  it('ready: the lost-runs report lists runs still in progress in the primary; Standard is unsupported', async () => {
    const wf = sim.workflows().find((w) => w.name === 'order-webhook' && w.region === plan.primary.location)!;
    const run = sim.startLongRun(wf.id);
    try {
      const r = await dr('ready', planFile);
      expect(r.code).toBe(0);
      expect(r.out).toContain('runs in flight in the primary');
      expect(r.out).toMatch(new RegExp(`order-webhook\\s+primary:order-webhook\\s+1\\s+${run.name} since `));
      expect(r.out).toMatch(/invoice-sync\s+primary:la-orders-weu\/invoice-sync\s+unsupported/);
      const json = JSON.parse((await dr('ready', planFile, '--json')).out);
      expect(json.lostRuns).toContainEqual({
        entry: 'order-webhook',
        workflow: 'primary:order-webhook',
        status: 'listed',
        runs: [expect.objectContaining({ name: run.name, status: 'Running' })],
      });
      expect(json.lostRuns.find((l: { entry: string }) => l.entry === 'mailbox-poller').runs).toEqual([]);
    } finally {
      sim.finishRun(run.name);
    }
  });

  it('ready: Logic Apps Standard drift and connections are skipped with the reason, never reported ok', async () => {
    const json = JSON.parse((await dr('ready', planFile, '--json')).out);
    const standard = json.checks.filter(
      (c: { entry: string; check: string }) =>
        c.entry === 'invoice-sync' && (c.check === 'drift' || c.check === 'connections'),
    );
    expect(standard.map((c: { status: string }) => c.status)).toEqual(['skip', 'skip']);
    expect(standard[0].detail).toContain('not return');
  });

  it('a simulator that is not running: one line naming the URL and the cause, exit 3 (nothing was read)', async () => {
    // A port nothing listens on: one just closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    let err = '';
    const code = await main(['ready', planFile, '--sim', `http://127.0.0.1:${port}`], {
      out: () => undefined,
      err: (t) => (err += t),
      env: {},
    });
    expect(code).toBe(3);
    expect(err).toMatch(
      /^dr ready: cannot reach the simulator at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED /,
    );
    expect(err.trim().split('\n')).toHaveLength(1); // no usage text
  });
});
