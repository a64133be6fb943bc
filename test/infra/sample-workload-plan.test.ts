/**
 * examples/sample-workload.plan.json is the plan for what `infra/sample-workload` deploys (plus the health check
 * `azd up` deploys): every workflow the template creates is in the plan and nothing else, each in the state
 * the plan expects in normal operation, so that after deploying both `dr ready` can pass.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { loadPlan } from '../../src/plan/load';
import type { Plan } from '../../src/plan/schema';
import {
  type BicepFile,
  INFRA,
  REPO,
  compact,
  declarations,
  loadInfra,
  property,
  stringValue,
} from './bicep';

const PLAN_FILE = join(REPO, 'examples/sample-workload.plan.json');
type Region = 'primary' | 'secondary';
type State = 'Enabled' | 'Disabled';

let template: BicepFile;
let plan: Plan;
beforeAll(async () => {
  template = (await loadInfra()).find((f) => f.path === 'infra/sample-workload/main.bicep')!;
  plan = loadPlan({ kind: 'file', path: PLAN_FILE }).plan; // the same load `dr check` does: throws when invalid
});

const parameters = (region: Region): Record<string, unknown> => {
  const file = JSON.parse(readFileSync(join(INFRA, `sample-workload/${region}.parameters.json`), 'utf8'));
  return Object.fromEntries(
    Object.entries(file.parameters as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]),
  );
};

/** The state expressions the template uses, evaluated with a region's parameters; anything new fails loudly. */
function evaluateState(expression: string, params: Record<string, unknown>): State {
  const literal = /^'(Enabled|Disabled)'$/.exec(expression);
  if (literal) return literal[1] as State;
  if (/^\w+$/.test(expression) && (params[expression] === 'Enabled' || params[expression] === 'Disabled'))
    return params[expression];
  const choice = /^(\w+)=='(\w+)'\?'(Enabled|Disabled)':'(Enabled|Disabled)'$/.exec(expression);
  if (choice) return (params[choice[1]!] === choice[2] ? choice[3] : choice[4]) as State;
  throw new Error(`sample-workload/main.bicep: unexpected workflow state expression ${expression}`);
}

/** What the template deploys in a region: workflow name -> state. */
function deployed(region: Region): Map<string, State> {
  const workflows = declarations(template).find((d) => d.kind === 'var' && d.name === 'workflows')!;
  const params = parameters(region);
  const items = workflows.value!.namedChildren.filter((n): n is Node => n?.type === 'object');
  return new Map(
    items.map((o) => [
      stringValue(property(o, 'name')!)!,
      evaluateState(compact(property(o, 'state')), params),
    ]),
  );
}

/** What the plan expects in a region in normal operation (before any failover): workflow name -> state. */
function expected(region: Region): Map<string, State> {
  const out = new Map<string, State>();
  for (const entry of plan.workflows) {
    const side = entry[region] as unknown;
    if (typeof side === 'string') {
      out.set(side, entry.role === 'active-passive' && region === 'secondary' ? 'Disabled' : 'Enabled');
    } else if (side && typeof side === 'object' && 'active' in side && 'passive' in side) {
      const twins = side as { active: string; passive: string };
      out.set(twins.active, 'Enabled');
      out.set(twins.passive, 'Disabled');
    } else {
      throw new Error(
        `${entry.name}: a ${region} side the sample workload does not deploy: ${JSON.stringify(side)}`,
      );
    }
  }
  return out;
}

describe('examples/sample-workload.plan.json and infra/sample-workload agree', () => {
  it.each(['primary', 'secondary'] as const)(
    '%s: the plan names exactly the workflows the template deploys, in their normal-operation states',
    (region) => {
      const actual = deployed(region);
      expect(actual.size).toBe(6);
      expect(Object.fromEntries([...expected(region)].sort())).toEqual(
        Object.fromEntries([...actual].sort()),
      );
      expect(parameters(region).location).toBe(plan[region].location);
    },
  );

  it('deploys the APIM router the plan switches: in the secondary only, the same service, backend and named value', () => {
    const routed = plan.workflows.filter((e) => e.router);
    expect(routed.map((e) => e.name)).toEqual(['orders-api']);
    const router = routed[0]!.router!;
    if (!('apiManagement' in router)) throw new Error('orders-api: expected an API Management router');
    const a = router.apiManagement;
    // APIM in the primary region would go down with it: the router is deployed with the secondary only.
    expect(parameters('primary').deployRouter).toBe(false);
    expect(parameters('secondary')).toMatchObject({
      deployRouter: true,
      apimName: a.service,
      primaryResourceGroup: plan.primary.resourceGroup,
      primaryLocation: plan.primary.location,
      location: plan.secondary.location,
    });
    expect({ subscriptionId: a.subscriptionId, resourceGroup: a.resourceGroup }).toEqual({
      subscriptionId: plan.secondary.subscriptionId,
      resourceGroup: plan.secondary.resourceGroup,
    });
    const module = readFileSync(join(INFRA, 'sample-workload/modules/orders-router.bicep'), 'utf8');
    expect(module).toContain(`var backendName = '${a.backend}'`);
    // One secret named value per region, named `<prefix>-<location>` by the module, as the plan keys them.
    expect(module).toContain(`var signaturePrefix = 'orders-api-sig'`);
    expect(module).toContain("'${signaturePrefix}-${primaryLocation}'");
    expect(module).toContain("'${signaturePrefix}-${location}'");
    expect(a.signature).toEqual({
      namedValues: {
        [plan.primary.location]: `orders-api-sig-${plan.primary.location}`,
        [plan.secondary.location]: `orders-api-sig-${plan.secondary.location}`,
      },
    });
    expect(module).toContain(`param triggerName string = '${a.trigger}'`);
    expect(module).toMatch(/name: 'Consumption'/); // the cheapest tier: billed per call
    // The callback URL's fixed parts, never its sig: no list*() call in infra (keys stay out of deployments).
    expect(module).toContain(`sp: ['/triggers/\${triggerName}/run']`);
    expect(module).not.toMatch(/list\w*\(/);
    // Every call of the API goes to the one backend the switch rewrites.
    expect(module).toContain('<set-backend-service backend-id="${backendName}" />');
  });

  it('classifies each entry from the same definition file the template deploys', () => {
    const loaded = new Set(
      [...template.text.matchAll(/loadJsonContent\('([^']+)'\)/g)].map((m) =>
        resolve(INFRA, 'sample-workload', m[1]!),
      ),
    );
    const planDefinitions = new Set(
      plan.workflows.map((e) => resolve(dirname(PLAN_FILE), e.definition ?? '(none)')),
    );
    expect([...planDefinitions].sort()).toEqual([...loaded].sort());
  });

  it('probes the health check azd up deploys into the primary resource group', async () => {
    const hook = (await import(pathToFileURL(join(INFRA, 'hooks/plan-targets.mjs')).href)) as {
      planTargets(p: unknown): { targets: { healthCheck: Record<string, unknown> }; warnings: string[] };
    };
    const { targets, warnings } = hook.planTargets(JSON.parse(readFileSync(PLAN_FILE, 'utf8')));
    expect(warnings).toEqual([]);
    expect(targets.healthCheck).toEqual({
      enabled: true,
      subscriptionId: plan.primary.subscriptionId,
      resourceGroup: plan.primary.resourceGroup,
      name: 'dr-healthcheck',
    });
    const healthCheckDefinition = JSON.parse(readFileSync(join(INFRA, 'workflows/healthcheck.json'), 'utf8'));
    expect(Object.keys(healthCheckDefinition.triggers)).toEqual([plan.healthCheck.trigger]);
  });
});
