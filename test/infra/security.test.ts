import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLES } from '../../src/http/auth';
import {
  type BicepFile,
  INFRA,
  compact,
  declarations,
  literal,
  loadInfra,
  parseBicep,
  property,
  propertyNames,
  propertyPath,
} from './bicep';
import { appSettings, keyMaterialViolations, roleAssignmentViolations } from './checks';

let files: BicepFile[];
beforeAll(async () => {
  files = await loadInfra();
});

const file = (path: string) => files.find((f) => f.path === path)!;

/** The infra with one file's text changed, re-parsed: what a careless edit would look like. */
async function edited(path: string, edit: (text: string) => string): Promise<BicepFile[]> {
  const original = file(path);
  const text = edit(original.text);
  expect(text, `the edit of ${path} must change something`).not.toBe(original.text);
  const changed = await parseBicep(path, text);
  return files.map((f) => (f.path === path ? changed : f));
}

const resource = (f: BicepFile, typePrefix: string) =>
  declarations(f).filter((d) => d.kind === 'resource' && !d.existing && d.target?.startsWith(typePrefix));

describe('role assignments', () => {
  it('are named guid(scope, principal, role), scoped to resource groups or resources, with allowed roles only', () => {
    expect(roleAssignmentViolations(files)).toEqual([]);
  });

  it('exist for every access the control plane needs', () => {
    const assignments = files.flatMap((f) =>
      resource(f, 'Microsoft.Authorization/roleAssignments@').map((d) => `${f.path}#${d.name}`),
    );
    expect(assignments).toEqual(
      expect.arrayContaining([
        'infra/modules/storage.bicep#storageRoleAssignments',
        'infra/modules/monitoring.bicep#publisher',
        'infra/rbac.bicep#switchAssignments',
        'infra/rbac.bicep#rewriteAssignments',
        'infra/rbac.bicep#standardAssignments',
        'infra/rbac.bicep#healthProbeAssignments',
        'infra/rbac.bicep#queueSender',
        'infra/rbac.bicep#topicSender',
      ]),
    );
  });

  it('fail the check when someone adds a subscription-scoped role assignment', async () => {
    const withSubscriptionAssignment = await edited('infra/main.bicep', (t) =>
      t.replace(
        "resource controlPlaneGroup 'Microsoft.Resources/resourceGroups",
        `resource everything 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, 'p', 'r')
  properties: {
    principalId: identity.outputs.principalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')
  }
}

resource controlPlaneGroup 'Microsoft.Resources/resourceGroups`,
      ),
    );
    expect(roleAssignmentViolations(withSubscriptionAssignment)).toEqual([
      expect.stringMatching(
        /infra\/main\.bicep:\d+ role assignment everything: deployed from a subscription-scoped template/,
      ),
    ]);
  });

  it('fail the check when a module that assigns roles is deployed at subscription scope', async () => {
    const subscriptionModule = await edited('infra/main.bicep', (t) =>
      t.replace('scope: resourceGroup(target.subscriptionId, target.resourceGroup)', 'scope: subscription()'),
    );
    expect(roleAssignmentViolations(subscriptionModule)).toEqual([
      expect.stringContaining('module workflowRoles assigns roles but is scoped to subscription()'),
    ]);
  });

  it('fail the check for a fixed name, a broad built-in role, or a custom role assignable at the subscription', async () => {
    const fixedName = await edited('infra/modules/monitoring.bicep', (t) =>
      t.replace(
        'name: guid(appInsights.id, identityPrincipalId, monitoringMetricsPublisher)',
        "name: 'publisher'",
      ),
    );
    expect(roleAssignmentViolations(fixedName)).toEqual([
      expect.stringContaining('name must be guid(scope, principal, role)'),
    ]);

    const owner = await edited('infra/modules/monitoring.bicep', (t) =>
      t.replace("'3913510d-42f4-4e42-8a64-420c390055eb'", "'8e3af657-a8ff-443c-a75c-2fe8c4bcb635'"),
    );
    expect(roleAssignmentViolations(owner)).toEqual([
      expect.stringContaining('built-in role 8e3af657-a8ff-443c-a75c-2fe8c4bcb635 is not on the allow list'),
    ]);

    const wideRole = await edited('infra/rbac.bicep', (t) =>
      t.replace(
        'assignableScopes: [\n      resourceGroup().id\n    ]',
        'assignableScopes: [\n      subscription().id\n    ]',
      ),
    );
    expect(roleAssignmentViolations(wideRole)).toEqual([
      expect.stringContaining('custom role switchRole: assignableScopes must be [resourceGroup().id]'),
    ]);
  });

  it('fail the check when a Logic Apps or site role is assigned on the whole resource group, or on the wrong type', async () => {
    const groupWide = await edited('infra/rbac.bicep', (t) =>
      t.replace('    scope: switchedWorkflows[i]\n', ''),
    );
    expect(roleAssignmentViolations(groupWide)).toEqual([
      expect.stringMatching(
        /infra\/rbac\.bicep:\d+ role assignment switchAssignments: custom role switchRole acts on Microsoft\.Logic\/workflows but is assigned on the whole resource group/,
      ),
    ]);
    const wrongType = await edited('infra/rbac.bicep', (t) =>
      t.replace('    scope: standardSites[i]\n', '    scope: switchedWorkflows[i]\n'),
    );
    expect(roleAssignmentViolations(wrongType)).toEqual([
      expect.stringContaining(
        'custom role standardRole acts on Microsoft.Web/sites but is assigned on switchedWorkflows (Microsoft.Logic/workflows)',
      ),
    ]);
    const mixed = await edited('infra/rbac.bicep', (t) =>
      t.replace(
        "  'Microsoft.Logic/workflows/runs/read' //",
        "  'Microsoft.Web/sites/config/write'\n  'Microsoft.Logic/workflows/runs/read' //",
      ),
    );
    expect(roleAssignmentViolations(mixed)).toEqual([
      expect.stringContaining(
        'custom role switchRole mixes actions on Microsoft.Logic/workflows and Microsoft.Web/sites',
      ),
    ]);
  });
});

describe('no keys, no secrets', () => {
  it('uses identity-based host storage, shared keys off, no list*() calls, no secret outputs or settings', () => {
    expect(keyMaterialViolations(files)).toEqual([]);
  });

  it('gives the Function App the settings the control plane reads, without key material', () => {
    const settings = appSettings(files);
    expect([...settings.keys()].sort()).toEqual(
      [
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        'AZURE_CLIENT_ID',
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__clientId',
        'AzureWebJobsStorage__credential',
        'DR_KEY_IS_OPERATOR',
        'DR_PLAN_PATH',
        'DR_REQUIRE_PRINCIPAL',
        'DR_TASK_HUB',
        'DR_WATCHDOG_SCHEDULE',
      ].sort(),
    );
    expect(compact(settings.get('DR_PLAN_PATH'))).toBe('planPath');
    expect(compact(settings.get('AZURE_CLIENT_ID'))).toBe('identityClientId');
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')!.text).toContain('Authorization=AAD');
    expect(compact(settings.get('DR_KEY_IS_OPERATOR'))).toBe("keyIsOperator?'true':'false'");
  });

  it('accepts DR_KEY_IS_OPERATOR only as a true/false flag, not as a place for a value', async () => {
    const valued = await edited('infra/main.bicep', (t) =>
      t.replace("DR_KEY_IS_OPERATOR: keyIsOperator ? 'true' : 'false'", 'DR_KEY_IS_OPERATOR: planText'),
    );
    expect(keyMaterialViolations(valued)).toEqual([
      "app setting DR_KEY_IS_OPERATOR is a flag and must be 'true' or 'false', is planText",
    ]);
  });

  it('fails the check when someone adds a storage key or turns shared keys back on', async () => {
    const keyed = await edited('infra/modules/functionapp.bicep', (t) =>
      t.replace(
        "AzureWebJobsStorage__credential: 'managedidentity'",
        "AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=${storageAccountName};AccountKey=${storage.listKeys().keys[0].value}'",
      ),
    );
    const violations = keyMaterialViolations(keyed);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringContaining('infra/modules/functionapp.bicep'),
        'app setting AzureWebJobsStorage holds a secret or a connection string',
        'app setting AzureWebJobsStorage__credential is missing: host storage must be identity-based',
      ]),
    );

    const sharedKeys = await edited('infra/modules/storage.bicep', (t) =>
      t.replace('allowSharedKeyAccess: false', 'allowSharedKeyAccess: true'),
    );
    expect(keyMaterialViolations(sharedKeys)).toEqual([
      expect.stringContaining('properties.allowSharedKeyAccess must be false'),
    ]);

    const leakingOutput = await edited('infra/modules/servicebus.bicep', (t) =>
      t.concat(
        "\noutput sendConnection string = listKeys('${namespace.id}/AuthorizationRules/RootManageSharedAccessKey', '2022-10-01-preview').primaryConnectionString\n",
      ),
    );
    expect(keyMaterialViolations(leakingOutput)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('key material'),
        expect.stringContaining('output sendConnection looks like a secret'),
      ]),
    );
  });
});

describe('App Service Authentication (what makes x-ms-client-principal trustworthy)', () => {
  it('is off unless an Entra app registration is given, and then validates its tokens without a secret', () => {
    const app = file('infra/modules/functionapp.bicep');
    const param = declarations(app).find((d) => d.kind === 'param' && d.name === 'authClientId')!;
    expect(literal(param.value)).toBe('');
    const auth = resource(app, 'Microsoft.Web/sites/config@').find(
      (d) => literal(property(d.body, 'name')) === 'authsettingsV2',
    )!;
    expect(auth).toBeDefined();
    expect(auth.condition).toBe('(!empty(authClientId))');
    expect(compact(property(auth.body, 'parent'))).toBe('site');
    expect(literal(propertyPath(auth.body, ['properties', 'platform', 'enabled']))).toBe(true);
    // With a principal required, the platform answers 401 to a request without a token (function key or
    // not; an API, so never a login redirect); without, such requests reach the API as readers.
    const validation = propertyPath(auth.body, ['properties', 'globalValidation']);
    expect(compact(property(validation, 'requireAuthentication'))).toBe('requirePrincipal');
    expect(compact(property(validation, 'unauthenticatedClientAction'))).toBe(
      "requirePrincipal?'Return401':'AllowAnonymous'",
    );
    const required = declarations(app).find((d) => d.kind === 'param' && d.name === 'requirePrincipal')!;
    expect(literal(required.value)).toBe(true);
    const aad = propertyPath(auth.body, ['properties', 'identityProviders', 'azureActiveDirectory']);
    expect(literal(property(aad, 'enabled'))).toBe(true);
    expect(compact(propertyPath(aad, ['registration', 'clientId']))).toBe('authClientId');
    // Validating tokens needs no client secret: none is configured.
    expect(propertyNames(property(aad, 'registration')).sort()).toEqual(['clientId', 'openIdIssuer']);
    expect(compact(propertyPath(aad, ['validation', 'allowedAudiences']))).toContain(
      "'api://${authClientId}'",
    );

    const main = file('infra/main.bicep');
    const mod = declarations(main).find((d) => d.kind === 'module' && d.name === 'functionApp')!;
    expect(compact(propertyPath(mod.body, ['params', 'authClientId']))).toBe('authClientId');
    // One value for the platform and the API.
    expect(compact(propertyPath(mod.body, ['params', 'requirePrincipal']))).toBe('principalRequired');
    expect(compact(appSettings(files).get('DR_REQUIRE_PRINCIPAL'))).toBe("principalRequired?'true':'false'");
  });

  it('requires a principal by default exactly when an Entra app is configured; a key alone never operates by default', () => {
    const main = file('infra/main.bicep');
    const param = (name: string) => declarations(main).find((d) => d.kind === 'param' && d.name === name)!;
    expect(literal(param('requirePrincipal').value)).toBe('');
    expect(param('requirePrincipal').decorators.map((d) => d.text)).toContain(
      "allowed(['', 'true', 'false'])",
    );
    expect(compact(declarations(main).find((d) => d.name === 'principalRequired')!.value)).toBe(
      "empty(requirePrincipal)?!empty(authClientId):requirePrincipal=='true'",
    );
    expect(literal(param('keyIsOperator').value)).toBe(false);
    const azd = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')).parameters;
    // Unset in azd means "the default above", not false; the opt-in is off unless set.
    expect(azd.requirePrincipal.value).toBe('${DR_REQUIRE_PRINCIPAL}');
    expect(azd.keyIsOperator.value).toBe('${DR_KEY_IS_OPERATOR=false}');
  });

  it('the app roles to create on the app registration are exactly the ones the API checks', () => {
    const roles = JSON.parse(readFileSync(join(INFRA, 'auth/app-roles.json'), 'utf8')) as {
      value: string;
      id: string;
      isEnabled: boolean;
      allowedMemberTypes: string[];
    }[];
    expect(roles.map((r) => r.value).sort()).toEqual(Object.values(APP_ROLES).sort());
    expect(new Set(roles.map((r) => r.id)).size).toBe(roles.length);
    for (const r of roles) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r).toMatchObject({ isEnabled: true, allowedMemberTypes: ['User', 'Application'] });
    }
  });
});

describe('publishing credentials', () => {
  it('switches off FTP and SCM basic-auth publishing on the control plane (deployments use Entra ID)', () => {
    const app = file('infra/modules/functionapp.bicep');
    const policies = resource(app, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@');
    expect(policies.map((p) => literal(property(p.body, 'name'))).sort()).toEqual(['ftp', 'scm']);
    for (const p of policies) {
      expect(p.condition, p.name).toBeUndefined();
      expect(compact(property(p.body, 'parent')), p.name).toBe('site');
      expect(literal(property(p.body, 'properties')), p.name).toEqual({ allow: false });
    }
    const site = resource(app, 'Microsoft.Web/sites@')[0]!;
    expect(literal(propertyPath(site.body, ['properties', 'siteConfig', 'ftpsState']))).toBe('Disabled');
  });
});

describe('services', () => {
  it('runs the control plane on Flex Consumption (FC1), Node 22, with an identity-authenticated deployment container', () => {
    const app = file('infra/modules/functionapp.bicep');
    const plan = resource(app, 'Microsoft.Web/serverfarms@')[0]!;
    expect(literal(property(plan.body, 'sku'))).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    const site = resource(app, 'Microsoft.Web/sites@')[0]!;
    expect(literal(propertyPath(site.body, ['identity', 'type']))).toBe('UserAssigned');
    const config = propertyPath(site.body, ['properties', 'functionAppConfig']);
    expect(literal(property(config, 'runtime'))).toEqual({ name: 'node', version: '22' });
    const storage = propertyPath(config, ['deployment', 'storage']);
    expect(literal(property(storage, 'type'))).toBe('blobContainer');
    expect(literal(propertyPath(storage, ['authentication', 'type']))).toBe('UserAssignedIdentity');
    expect(compact(propertyPath(storage, ['authentication', 'userAssignedIdentityResourceId']))).toBe(
      'identityId',
    );
  });

  it('grants the identity blob, queue and table data roles on the storage account (Durable Functions needs all three)', () => {
    const storage = file('infra/modules/storage.bicep');
    const roles = literal(declarations(storage).find((d) => d.name === 'storageRoles')!.value);
    expect(roles).toEqual([
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    ]);
    const assignment = resource(storage, 'Microsoft.Authorization/roleAssignments@')[0]!;
    expect(assignment.loop).toBe(true);
    expect(compact(property(assignment.body, 'scope'))).toBe('storage');
  });

  it('creates a Standard Service Bus namespace without local auth, and entities with duplicate detection', () => {
    const bus = file('infra/modules/servicebus.bicep');
    const ns = resource(bus, 'Microsoft.ServiceBus/namespaces@')[0]!;
    expect(literal(propertyPath(ns.body, ['sku', 'name']))).toBe('Standard');
    expect(literal(propertyPath(ns.body, ['properties', 'disableLocalAuth']))).toBe(true);
    for (const kind of ['queues', 'topics']) {
      const entity = resource(bus, `Microsoft.ServiceBus/namespaces/${kind}@`)[0]!;
      expect(literal(propertyPath(entity.body, ['properties', 'requiresDuplicateDetection'])), kind).toBe(
        true,
      );
    }
  });

  it('sends workflow runtime logs to a Log Analytics workspace in the workflow region', () => {
    for (const path of ['infra/healthcheck.bicep', 'infra/sample-workload/main.bicep']) {
      const diag = resource(file(path), 'Microsoft.Insights/diagnosticSettings@')[0];
      expect(diag, path).toBeDefined();
      const logs = literal(propertyPath(diag!.body, ['properties', 'logs']));
      expect(logs, path).toEqual([{ category: 'WorkflowRuntime', enabled: true }]);
      expect(propertyPath(diag!.body, ['properties', 'workspaceId']), path).toBeDefined();
    }
  });
});
