import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BicepFile,
  REPO,
  callArguments,
  callsTo,
  declarations,
  loadInfra,
  modulePath,
  parseBicep,
  propertyNames,
  property,
  stringValue,
  syntaxProblems,
  targetScope,
  runtimeValuesWhereStartValuesNeeded,
  undeclaredSymbols,
} from './bicep';

function moduleParameterProblems(all: BicepFile[]): string[] {
  const problems: string[] = [];
  for (const f of all) {
    for (const mod of declarations(f).filter((d) => d.kind === 'module')) {
      const target = all.find((x) => x.path === modulePath(f, mod));
      if (!target) continue;
      const params = declarations(target).filter((d) => d.kind === 'param');
      const passed = propertyNames(property(mod.body, 'params'));
      for (const name of passed) {
        if (!params.some((p) => p.name === name))
          problems.push(`${f.path}:${mod.line} ${mod.name} passes unknown ${name}`);
      }
      for (const p of params.filter((x) => x.value === undefined)) {
        if (!passed.includes(p.name))
          problems.push(`${f.path}:${mod.line} ${mod.name} misses required ${p.name}`);
      }
    }
  }
  return problems;
}

let files: BicepFile[];
beforeAll(async () => {
  files = await loadInfra();
});

const file = (path: string) => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} not found among ${files.map((x) => x.path).join(', ')}`);
  return f;
};

describe('Bicep grammar', () => {
  it('finds every template the deployment needs', () => {
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'infra/main.bicep',
        'infra/rbac.bicep',
        'infra/healthcheck.bicep',
        'infra/modules/functionapp.bicep',
        'infra/modules/storage.bicep',
        'infra/modules/servicebus.bicep',
        'infra/modules/monitoring.bicep',
        'infra/sample-workload/main.bicep',
      ]),
    );
  });

  it('parses every .bicep file without a syntax error', () => {
    const problems = files.flatMap((f) =>
      syntaxProblems(f.root).map((p) => `${f.path}:${p.line}:${p.column} ${p.what}`),
    );
    expect(problems).toEqual([]);
  });

  it('rejects broken Bicep, so the check above can fail', async () => {
    const broken = await parseBicep(
      'broken.bicep',
      "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: \n  properties: {\n}\n",
    );
    expect(syntaxProblems(broken.root).length).toBeGreaterThan(0);
    const unclosed = await parseBicep('unclosed.bicep', "param a string = 'x\nvar b = [1, 2\n");
    expect(syntaxProblems(unclosed.root).length).toBeGreaterThan(0);
  });

  it('declares targetScope where it matters: subscription for main, resource group for the per-group templates', () => {
    expect(targetScope(file('infra/main.bicep'))).toBe('subscription');
    expect(targetScope(file('infra/rbac.bicep'))).toBe('resourceGroup');
    expect(targetScope(file('infra/healthcheck.bicep'))).toBe('resourceGroup');
    expect(targetScope(file('infra/sample-workload/main.bicep'))).toBe('resourceGroup');
  });
});

describe('modules link', () => {
  it('every module path exists and is a parsed template', () => {
    const missing = files.flatMap((f) =>
      declarations(f)
        .filter((d) => d.kind === 'module')
        .map((d) => modulePath(f, d))
        .filter((p) => !files.some((x) => x.path === p)),
    );
    expect(missing).toEqual([]);
  });

  it('every module gets only parameters its template declares, and all it requires', () => {
    expect(moduleParameterProblems(files)).toEqual([]);
  });

  it('every loadJsonContent/loadTextContent names a file that exists and parses', () => {
    const loads = files.flatMap((f) =>
      [...callsTo(f.root, 'loadJsonContent'), ...callsTo(f.root, 'loadTextContent')].map((call) => ({
        f,
        call,
        path: stringValue(callArguments(call)[0]!),
      })),
    );
    expect(loads.length).toBeGreaterThanOrEqual(5);
    for (const { f, call, path } of loads) {
      expect(path, `${f.path}: ${call.text} needs a literal path`).toBeDefined();
      const abs = join(REPO, dirname(f.path), path!);
      expect(existsSync(abs), `${f.path}: ${abs}`).toBe(true);
      if (call.text.startsWith('loadJsonContent'))
        expect(() => JSON.parse(readFileSync(abs, 'utf8')) as unknown).not.toThrow();
    }
  });

  it('declares every symbol a template references (catches typos the grammar accepts)', () => {
    expect(files.flatMap((f) => undeclaredSymbols(f))).toEqual([]);
  });

  it('uses only values known at deployment start for loops, names and scopes (Bicep BCP178/BCP120)', () => {
    expect(files.flatMap((f) => runtimeValuesWhereStartValuesNeeded(f))).toEqual([]);
  });

  it('reports a loop over a runtime property, so the check above can fail', async () => {
    const sample = file('infra/sample-workload/main.bicep');
    const runtime = await parseBicep(
      sample.path,
      sample.text.replace('id: office365Api\n          }', 'id: office365.properties.api.id\n          }'),
    );
    // The workflow resources, their diagnostic settings and the output all loop over `workflows`.
    const problems = runtimeValuesWhereStartValuesNeeded(runtime);
    expect(problems).toHaveLength(3);
    expect(problems.every((p) => p.includes('loop over workflows → office365.properties'))).toBe(true);
  });

  it('reports a misspelt symbol and a module parameter mismatch, so the checks above can fail', async () => {
    const main = file('infra/main.bicep');
    const typo = await parseBicep(
      main.path,
      main.text.replace('DR_TASK_HUB: taskHubName', 'DR_TASK_HUB: taskHubNmae'),
    );
    expect(undeclaredSymbols(typo)).toEqual([expect.stringContaining('unknown symbol taskHubNmae')]);
    const wrongParam = await parseBicep(main.path, main.text.replace('planName: ', 'planNaem: '));
    const others = files.filter((f) => f.path !== main.path);
    expect(moduleParameterProblems([wrongParam, ...others])).toEqual([
      expect.stringContaining('passes unknown planNaem'),
      expect.stringContaining('misses required planName'),
    ]);
  });
});
