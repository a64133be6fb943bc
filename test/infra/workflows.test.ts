import { splitSchedules } from '../../src/core/schedule';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BicepFile, INFRA, declarations, listFiles, literal, loadInfra } from './bicep';

interface Inputs {
  method?: string;
  path?: string;
  host: { connection: { name: string } };
  unsubscribe?: unknown;
  statusCode?: number;
  body?: Record<string, unknown>;
}
interface Step {
  type: string;
  kind?: string;
  runAfter?: Record<string, string[]>;
  inputs: Inputs;
  recurrence?: Record<string, unknown>;
}
interface Definition {
  $schema: string;
  contentVersion: string;
  parameters: Record<string, unknown>;
  triggers: Record<string, Step>;
  actions: Record<string, Step>;
  resources?: unknown;
  properties?: unknown;
}
interface ParameterFile {
  $schema: string;
  parameters: Record<string, { value: unknown }>;
}

const readJson = <T = Definition>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const DEFINITION_SCHEMA =
  'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';

let files: BicepFile[];
beforeAll(async () => {
  files = await loadInfra();
});

describe('workflow definition files', () => {
  const definitions = [
    join(INFRA, 'workflows/healthcheck.json'),
    ...listFiles(join(INFRA, 'sample-workload/workflows'), '.json'),
  ];

  it('are bare Logic Apps definitions (what the simulator and the classifier load), not ARM resources or templates', () => {
    expect(definitions.length).toBe(6);
    for (const path of definitions) {
      const d = readJson(path);
      expect(d.$schema, path).toBe(DEFINITION_SCHEMA);
      expect(d.contentVersion, path).toBe('1.0.0.0');
      expect(Object.keys(d.triggers), path).toHaveLength(1);
      expect(Object.keys(d.actions).length, path).toBeGreaterThan(0);
      expect(d.resources, path).toBeUndefined();
      expect(d.properties, path).toBeUndefined();
    }
  });

  it('declare every parameter their expressions use', () => {
    for (const path of definitions) {
      const text = readFileSync(path, 'utf8');
      const used = new Set([...text.matchAll(/parameters\('([^']+)'\)/g)].map((m) => m[1]!));
      expect(
        [...used].filter((p) => !(p in readJson(path).parameters)),
        path,
      ).toEqual([]);
    }
  });

  it('health check: a Request trigger answered by a 200 Response with {"status":"Healthy"}', () => {
    const d = readJson(join(INFRA, 'workflows/healthcheck.json'));
    expect(d.triggers.manual).toMatchObject({ type: 'Request', kind: 'Http' });
    expect(d.actions.Response).toMatchObject({ type: 'Response', runAfter: {}, inputs: { statusCode: 200 } });
    expect(d.actions.Response?.inputs.body).toEqual({ status: 'Healthy', region: "@parameters('region')" });
  });

  it('healthcheck.bicep deploys that very file, adding dependency checks only through its parameter', () => {
    const hc = files.find((f) => f.path === 'infra/healthcheck.bicep')!;
    expect(hc.text).toContain("loadJsonContent('workflows/healthcheck.json')");
    expect(hc.text).toContain('definition: empty(dependencyChecks) ? baseDefinition : definitionWithChecks');
    const deps = declarations(hc).find((d) => d.name === 'dependencyChecks')!;
    expect(literal(deps.value)).toEqual([]);
  });

  it('sample workload: one trigger of each kind the DR guidance distinguishes', () => {
    const wf = (name: string) => readJson(join(INFRA, `sample-workload/workflows/${name}.json`));
    const trigger = (name: string): Step => Object.values(wf(name).triggers)[0]!;

    const split = trigger('split-report');
    expect(split.type).toBe('Recurrence');
    // The drift-free split form `dr schedule` emits: Logic Apps honours `schedule` only with Day or Week.
    expect(split.recurrence).toEqual(
      splitSchedules({ every: 'PT10M', anchor: '2024-01-01T00:00:00Z' }).primaryActive,
    );

    expect(trigger('order-webhook').type).toBe('HttpWebhook');
    expect(trigger('order-webhook').inputs.unsubscribe).toBeDefined();

    const mailbox = trigger('mailbox-poller');
    expect(mailbox).toMatchObject({
      type: 'ApiConnection',
      inputs: { method: 'get' },
      recurrence: { frequency: 'Minute' },
    });
    expect(mailbox.inputs.host.connection.name).toContain("['office365']");
    expect(mailbox.inputs.path).toMatch(/\/Mail\/OnNewEmail$/);

    const queue = trigger('queue-consumer');
    expect(queue).toMatchObject({ type: 'ApiConnection', recurrence: { frequency: 'Minute' } });
    expect(queue.inputs.host.connection.name).toContain("['servicebus']");
    expect(queue.inputs.path).toMatch(/\/messages\/head\/peek$/);
    // Peek-lock: the message is completed only after the work succeeded.
    expect(wf('queue-consumer').actions.Complete_the_message).toMatchObject({
      runAfter: { Process_message: ['Succeeded'] },
      inputs: { method: 'delete' },
    });
  });
});

describe('sample workload per-region parameters', () => {
  const dir = join(INFRA, 'sample-workload');
  const primary = readJson<ParameterFile>(join(dir, 'primary.parameters.json'));
  const secondary = readJson<ParameterFile>(join(dir, 'secondary.parameters.json'));
  /** The values that may differ between the regions; everything else must be identical. */
  const PER_REGION = [
    'region',
    'location',
    'activeSplitTwin',
    'activePassiveState',
    'logAnalyticsWorkspaceName',
    'deployRouter', // the APIM router is deployed with the secondary only
  ];

  const template = () => files.find((f) => f.path === 'infra/sample-workload/main.bicep')!;
  const params = () => declarations(template()).filter((d) => d.kind === 'param');

  it('both files are parameter files of the template beside them: every name declared, every required one set', () => {
    for (const [name, file] of Object.entries({ primary, secondary })) {
      expect(file.$schema, name).toMatch(/deploymentParameters\.json#$/);
      const set = Object.keys(file.parameters);
      const declared = params().map((p) => p.name);
      expect(
        set.filter((p) => !declared.includes(p)),
        `${name} sets undeclared parameters`,
      ).toEqual([]);
      const required = params()
        .filter((p) => p.value === undefined)
        .map((p) => p.name);
      expect(
        required.filter((p) => !set.includes(p)),
        `${name} misses required parameters`,
      ).toEqual([]);
    }
  });

  it("values respect the template's @allowed lists", () => {
    for (const p of params()) {
      const allowed = p.decorators.find((d) => d.text.startsWith('allowed('));
      if (!allowed) continue;
      const values = literal(allowed.descendantsOfType('array')[0] ?? undefined);
      for (const [name, file] of Object.entries({ primary, secondary })) {
        if (p.name in file.parameters)
          expect(values, `${name}.${p.name}`).toContain(file.parameters[p.name]!.value);
      }
    }
  });

  it('differ only in the per-region values', () => {
    expect(Object.keys(primary.parameters).sort()).toEqual(Object.keys(secondary.parameters).sort());
    const differing = Object.keys(primary.parameters).filter(
      (k) => JSON.stringify(primary.parameters[k]) !== JSON.stringify(secondary.parameters[k]),
    );
    expect(differing.filter((k) => !PER_REGION.includes(k))).toEqual([]);
    expect(differing.sort()).toEqual([...PER_REGION].sort());
  });

  it('make the regions complementary: the primary runs the even split twin and the active-passive workflows', () => {
    const v = (f: ParameterFile, k: string) => f.parameters[k]!.value;
    expect([v(primary, 'region'), v(secondary, 'region')]).toEqual(['primary', 'secondary']);
    expect([v(primary, 'activeSplitTwin'), v(secondary, 'activeSplitTwin')]).toEqual(['even', 'odd']);
    expect([v(primary, 'activePassiveState'), v(secondary, 'activePassiveState')]).toEqual([
      'Enabled',
      'Disabled',
    ]);
  });

  it('deploys both split twins in each region with the minutes of their slots, the passive twin Disabled', () => {
    const t = template();
    expect(literal(declarations(t).find((d) => d.name === 'splitMinutes')!.value)).toEqual({
      even: [0, 20, 40],
      odd: [10, 30, 50],
    });
    const workflows = literal(declarations(t).find((d) => d.name === 'workflows')!.value) as {
      name: string;
    }[];
    expect(workflows.map((w) => w.name)).toEqual([
      'split-report-even',
      'split-report-odd',
      'order-webhook',
      'mailbox-poller',
      'queue-consumer',
      'orders-api',
    ]);
    const workflowsText = declarations(t).find((d) => d.name === 'workflows')!.value!.text;
    expect(workflowsText).toContain("state: activeSplitTwin == 'even' ? 'Enabled' : 'Disabled'");
    expect(workflowsText).toContain("state: activeSplitTwin == 'odd' ? 'Enabled' : 'Disabled'");
    // queue-consumer is active-active; the comment on the receiver module relies on its position.
    expect(workflowsText).toMatch(/name: 'queue-consumer'[\s\S]*state: 'Enabled'/);
  });
});
