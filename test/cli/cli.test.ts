import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCliTerms } from '../../src/cli/commands/status';
import { COMMANDS } from '../../src/cli/main';
import { runDr } from '../support/cli';

const root = join(__dirname, '../..');
const example = join(root, 'examples/plan.json');

const dr = runDr;

function badPlan(mutate: (p: Record<string, any>) => void): string {
  const plan = JSON.parse(readFileSync(example, 'utf8'));
  mutate(plan);
  const dir = mkdtempSync(join(tmpdir(), 'dr-plan-'));
  const file = join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify(plan, null, 2).replaceAll('../infra/', `${join(root, 'infra')}/`));
  return file;
}

describe('dr CLI', () => {
  it('check: the example plan is valid, with a readable summary', async () => {
    const r = await dr(['check', example]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('plan "contoso-orders-dr" is valid');
    expect(r.out).toMatch(/order-webhook\s+active-passive\s+1\s+webhook\s+definition/);
    expect(r.out).toContain('detected within PT1M40S');
  });

  it('refusals speak in flags: --force, --kind emergency, --idempotency-key', () => {
    expect(inCliTerms('not healthy for the soak yet; pass force to fail back anyway')).toBe(
      'not healthy for the soak yet; pass --force to fail back anyway',
    );
    expect(inCliTerms('the primary is failing its health check: ask for kind "emergency"')).toBe(
      'the primary is failing its health check: ask for --kind emergency',
    );
    expect(inCliTerms('repeat it with Idempotency-Key abc to read the answer')).toBe(
      'repeat it with --idempotency-key abc to read the answer',
    );
  });

  it('--version prints the package version', async () => {
    const r = await dr(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `dr (logic-apps-failover) ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`,
    );
  });

  it('check: reads the plan from DR_PLAN_PATH, or inline from DR_PLAN', async () => {
    expect((await dr(['check', '--json'], { DR_PLAN_PATH: example })).code).toBe(0);
    const inline = readFileSync(example, 'utf8').replaceAll(
      '"definition": "../infra/',
      `"definition": "${root}/infra/`,
    );
    const r = await dr(['check', '--json'], { DR_PLAN: inline });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      valid: true,
      source: 'app setting DR_PLAN',
      summary: { id: 'contoso-orders-dr' },
    });
    // In CLI terms, not the app-setting advice meant for a deployed app.
    const none = await dr(['check']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /^dr check: no plan: pass a PLAN path or set DR_PLAN_PATH \(or DR_PLAN to the plan JSON\)\n/,
    );
    expect(none.err).not.toContain('app setting');
  });

  it('check: an unsafe plan exits 2 and lists every problem, with file positions and fixes', async () => {
    const file = badPlan((p) => {
      p.workflows.find((w: any) => w.name === 'order-webhook').role = 'active-active';
      p.workflows.find((w: any) => w.name === 'mailbox-poller').role = 'active-active';
      p.policy.failureThreshold = 0;
    });
    const r = await dr(['check', file]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('3 problems');
    expect(r.err).toMatch(/plan\.json:\d+:\d+ workflows\[2\]\.role \[webhook-single-region\]/);
    expect(r.err).toMatch(/\[client-state-polling-single-region\]: workflow "mailbox-poller"/);
    expect(r.err).toMatch(/policy\.failureThreshold \[threshold-at-least-one\]/);
    expect(r.err).toMatch(/fix: use "active-passive"/);
  });

  it('check: a typo and a bad duration do not hide the DR-rule errors elsewhere', async () => {
    const file = badPlan((p) => {
      p.policy.failureTreshold = 3; // typo of failureThreshold
      p.healthCheck.timeout = '10s';
      p.workflows.find((w: any) => w.name === 'order-webhook').role = 'active-active';
      p.workflows.find((w: any) => w.name === 'mailbox-poller').role = 'active-active';
    });
    const r = await dr(['check', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('4 problems');
    expect(r.err).toMatch(/plan\.json:\d+:\d+ policy\.failureTreshold \[unknown-field\]/);
    expect(r.err).toMatch(/plan\.json:\d+:\d+ healthCheck\.timeout \[schema\]/);
    expect(r.err).toMatch(/plan\.json:\d+:\d+ workflows\[2\]\.role \[webhook-single-region\]/);
    expect(r.err).toMatch(/workflows\[3\]\.role \[client-state-polling-single-region\]/);
  });

  it('check: warns of sides only ARM can place and of triggers left to the live definition', async () => {
    const file = badPlan((p) => {
      const api = p.workflows.find((w: any) => w.name === 'orders-api');
      api.secondary = `/subscriptions/${p.secondary.subscriptionId}/resourceGroups/rg-shared-neu/providers/Microsoft.Logic/workflows/orders-api`;
      delete api.trigger;
    });
    const r = await dr(['check', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/orders-api\s+active-active\s+1\s+live\s+live \(ARM\)/);
    expect(r.err).toContain('2 warning(s)');
    expect(r.err).toMatch(/workflows\[5\]\.secondary \[side-region-unverified\].*rg-shared-neu/);
    expect(r.err).toMatch(/workflows\[5\] \[trigger-undeclared\].*before every failover or failback/);
    const json = JSON.parse((await dr(['check', file, '--json'])).out);
    expect(json.warnings.map((w: any) => w.rule)).toEqual(['side-region-unverified', 'trigger-undeclared']);
  });

  it('check: a malformed resource id is refused, not resolved to some other region', async () => {
    const file = badPlan((p) => {
      p.workflows.find((w: any) => w.name === 'orders-api').secondary =
        '/subscriptions/x/resourceGroups/rg-orders-neu/workflows/orders-api';
    });
    const r = await dr(['check', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /workflows\[5\]\.secondary \[workflow-ref\]: workflow "orders-api": .* is neither a workflow name nor the resource id/,
    );
  });

  it('check: a definition that contradicts the declared trigger is refused', async () => {
    const file = badPlan(
      (p) => (p.workflows.find((w: any) => w.name === 'queue-consumer').trigger = 'webhook'),
    );
    const r = await dr(['check', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('[trigger-mismatch]');
  });

  it('classify: prints JSON for each file; a broken file exits 2 but the others still print', async () => {
    const good = join(root, 'infra/sample-workload/workflows/order-webhook.json');
    const broken = join(mkdtempSync(join(tmpdir(), 'dr-')), 'broken.json');
    writeFileSync(broken, '{ "triggers": ');
    const r = await dr(['classify', good, broken]);
    expect(r.code).toBe(2);
    const [result] = JSON.parse(r.out);
    expect(result.workflows[0].triggers[0]).toMatchObject({
      kind: 'webhook',
      allowedRoles: ['active-passive'],
    });
    expect(r.err).toMatch(/broken\.json:1:15: malformed JSON/);
  });

  it('schedule: prints split recurrences; a bad cadence exits 2 with the reason', async () => {
    const r = await dr([
      'schedule',
      '--every',
      'PT10M',
      '--start',
      '2024-01-01T00:00:00Z',
      '--form',
      'minutes',
    ]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.primaryActive.schedule.minutes).toEqual([0, 20, 40]);
    expect(s.secondaryActive.schedule.minutes).toEqual([10, 30, 50]);
    const bad = await dr(['schedule', '--every', 'P1M']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('years, months or weeks');
    expect((await dr(['schedule', '--every', 'PT10M', '--form', 'weekly'])).code).toBe(2);
    expect((await dr(['schedule', '--evry', 'PT10M'])).err).toMatch(/Unknown option '--evry'/);
  });

  it('every command has --help; unknown commands exit 2', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const r = await dr([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: dr ${name}`);
    }
    expect((await dr(['frobnicate'])).code).toBe(2);
  });

  it('runs as a real process (npx dr / npm run dr) with documented exit codes and no stack traces', () => {
    const bin = join(root, 'bin/dr.js');
    expect(execFileSync(process.execPath, [bin, 'check', example], { encoding: 'utf8' })).toContain(
      'is valid',
    );
    const file = badPlan((p) => (p.policy.maxPause = 'P30D'));
    const r = spawnSync(process.execPath, [bin, 'check', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[pause-bound]');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
