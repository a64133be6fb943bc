/**
 * What is deployed, read from the ARM JSON the real Bicep compiler makes of the templates (`bicep build`), not
 * from a parse of the Bicep text: role scopes, custom roles, the order the first deployment runs in, the app
 * settings and the runtime. A machine without the CLI skips these tests (the suite name says how to get it);
 * with CI=true a missing CLI fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compileToArm, findBicep, INSTALL_HINT } from '../../scripts/bicep';

type Json = Record<string, unknown>;
interface ArmResource {
  type: string;
  name: string;
  condition?: string;
  scope?: string;
  dependsOn?: string[];
  copy?: { name: string; count: string };
  properties?: Json & { template?: { resources: ArmResource[] } };
}

const cli = findBicep();
const inCi = process.env.CI === 'true';
const SUITE = cli
  ? 'compiled ARM JSON (bicep build)'
  : 'compiled ARM JSON: skipped, install the Bicep CLI (az bicep install)';
if (!cli && !inCi) console.warn(`test/infra/compiled.test.ts skipped: ${INSTALL_HINT}`);

describe('the Bicep CLI', () => {
  it.runIf(inCi)('is there in CI (CI=true): a missing CLI is a failure, not a skip', () => {
    expect(cli, `no Bicep CLI: ${INSTALL_HINT}`).toBeDefined();
  });
});

/** Every resource of a template, nested deployments' templates included, with the module chain above it. */
function allResources(template: { resources: ArmResource[] }, path: string[] = []) {
  const out: { resource: ArmResource; path: string[] }[] = [];
  for (const r of template.resources) {
    out.push({ resource: r, path });
    const nested = r.properties?.template;
    if (r.type === 'Microsoft.Resources/deployments' && nested)
      out.push(...allResources(nested, [...path, r.name]));
  }
  return out;
}

const ROLE_ASSIGNMENT = 'Microsoft.Authorization/roleAssignments';
const ROLE_DEFINITION = 'Microsoft.Authorization/roleDefinitions';

describe.skipIf(!cli)(SUITE, () => {
  let main: { resources: ArmResource[]; outputs: Json };
  let rbac: { resources: ArmResource[] };
  beforeAll(() => {
    main = compileToArm(cli!, 'infra/main.bicep') as unknown as typeof main;
    rbac = compileToArm(cli!, 'infra/rbac.bicep') as unknown as typeof rbac;
  }, 180_000);

  const deployment = (name: string) => {
    const d = main.resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && (r.name === name || r.copy?.name === name),
    );
    if (!d) throw new Error(`main.bicep compiles to no deployment ${name}`);
    return d;
  };

  describe('role assignments', () => {
    it('none at subscription scope: main.json assigns nothing itself, only through resource-group deployments', () => {
      expect(main.resources.filter((r) => r.type === ROLE_ASSIGNMENT || r.type === ROLE_DEFINITION)).toEqual(
        [],
      );
      for (const { resource, path } of allResources(main)) {
        if (resource.type !== ROLE_ASSIGNMENT) continue;
        expect(resource.scope ?? '', `${path.join(' > ')}: ${resource.name}`).not.toMatch(
          /subscription\(\)\.id|tenant\(\)/,
        );
      }
    });

    it('rbac.json scopes every assignment to one resource of the type its role acts on; only listing sits on the group', () => {
      const scoped = rbac.resources.filter((r) => r.type === ROLE_ASSIGNMENT);
      const scopeTypes = scoped.map(
        (r) => /^\[resourceId\('([^']+)'/.exec(r.scope ?? '')?.[1] ?? '(resource group)',
      );
      expect(scopeTypes.sort()).toEqual(
        [
          '(resource group)', // the opt-in list role, read only
          'Microsoft.Logic/workflows', // switch
          'Microsoft.Logic/workflows', // rewrite
          'Microsoft.Logic/workflows', // health probe
          'Microsoft.Web/sites', // Standard switch
          'Microsoft.Web/connections', // linked: join
          'Microsoft.ManagedIdentity/userAssignedIdentities', // linked: assign
          'Microsoft.Logic/integrationAccounts', // linked: join
          'Microsoft.ServiceBus/namespaces/queues', // Data Sender on the entity
          'Microsoft.ServiceBus/namespaces/topics',
        ].sort(),
      );
      const onGroup = scoped.filter((r) => !r.scope);
      expect(onGroup.map((r) => r.condition)).toEqual([
        "[and(parameters('assignRoles'), variables('grantList'))]",
      ]);
      for (const r of scoped) expect(r.name).toMatch(/^\[guid\(/);
    });

    it('custom roles are assignable only in their resource group, and the linked-resources role holds exactly join/assign', () => {
      const roles = rbac.resources.filter((r) => r.type === ROLE_DEFINITION);
      expect(roles).toHaveLength(6);
      for (const r of roles) {
        expect((r.properties as { assignableScopes: string[] }).assignableScopes).toEqual([
          '[resourceGroup().id]',
        ]);
        expect(r.condition).toMatch(/^\[and\(parameters\('defineRoles'\)/);
      }
      const link = roles.find((r) => r.name.includes('logic-apps-failover-linked-resources'))!;
      const permissions = (link.properties as { permissions: { actions: unknown; notActions: unknown[] }[] })
        .permissions;
      expect(permissions).toHaveLength(1);
      expect(permissions[0]!.notActions).toEqual([]);
      // The actions come from a variable; resolve it from the compiled template's variables.
      const vars = (rbac as unknown as { variables: Record<string, unknown> }).variables;
      expect(permissions[0]!.actions).toBe("[variables('linkActions')]");
      expect(vars['linkActions']).toEqual([
        'Microsoft.Web/connections/join/action',
        'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
        'Microsoft.Logic/integrationAccounts/join/action',
      ]);
    });
  });

  describe('the first deployment runs in an order that works', () => {
    it('custom roles are defined in deployments that finish before any assignment deployment starts', () => {
      expect(deployment('workflowRoleDefinitions').properties?.parameters).toMatchObject({
        assignRoles: { value: false },
      });
      const assignments = deployment('workflowRoles');
      expect(assignments.dependsOn).toContain('workflowRoleDefinitions');
      expect(assignments.properties?.parameters).toMatchObject({ defineRoles: { value: false } });
    });

    it('the Function App is created after every role it uses is assigned (ARM, Service Bus, storage, telemetry)', () => {
      const app = deployment('functionapp');
      const deps = (app.dependsOn ?? []).join('\n');
      expect(app.dependsOn).toContain('workflowRoles');
      for (const d of ["'rbac-servicebus')", "format('rbac-servicebus-{0}'", "'storage')", "'monitoring')"])
        expect(deps).toContain(d);
      // The storage and telemetry roles are inside the modules the app waits for.
      const storage = allResources({ resources: [deployment('storage')] }).filter(
        (r) => r.resource.type === ROLE_ASSIGNMENT,
      );
      expect(storage).toHaveLength(1); // one copy loop: blob, queue and table data roles
      expect(storage[0]!.resource.copy?.count).toMatch(/storageRoles/);
    });

    it('Data Sender on an existing namespace goes to the resource group the hook was told', () => {
      const existing = main.resources.find(
        (r) => r.name === "[format('rbac-servicebus-{0}', variables('resourceToken'))]",
      )!;
      expect(existing.condition).toBe(
        "[and(variables('serviceBus').enabled, not(parameters('createServiceBusNamespace')))]",
      );
      expect((existing as unknown as Json)['resourceGroup']).toBe("[variables('serviceBus').resourceGroup]");
    });
  });

  describe('the Function App', () => {
    const site = () =>
      allResources(main).find(
        (r) => r.resource.type === 'Microsoft.Web/sites' && r.path.includes('functionapp'),
      )!.resource;
    const settings = () =>
      allResources(main).find(
        (r) => r.resource.type === 'Microsoft.Web/sites/config' && r.resource.name.includes('appsettings'),
      )!.resource;

    it('runs Node 22 on Flex Consumption', () => {
      const config = (site().properties as { functionAppConfig: { runtime: unknown } }).functionAppConfig;
      expect(config.runtime).toEqual({ name: 'node', version: '22' });
    });

    it('reads the plan from the file in its package (DR_PLAN_PATH), never from an app setting holding it', () => {
      const text = JSON.stringify(main);
      expect(text).toContain('"DR_PLAN_PATH":"[parameters(\'planPath\')]"');
      expect(text).not.toContain('"DR_PLAN"');
      expect(text).not.toMatch(/planBase64/);
      expect(settings().properties).toBeDefined();
    });

    it('has identity-based settings and no key material anywhere in the compiled template', () => {
      const text = JSON.stringify(main);
      expect(text).toContain('AzureWebJobsStorage__credential');
      expect(text).not.toMatch(/listKeys|listConnectionStrings|AccountKey=|SharedAccessKey/);
    });
  });
});
