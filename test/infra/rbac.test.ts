import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BicepFile,
  compact,
  declarations,
  literal,
  loadInfra,
  parseBicep,
  property,
  propertyPath,
} from './bicep';
import { customRoleActions, roleAssignmentViolations } from './checks';

/** What the control plane does to every Consumption workflow of the plan (see the comments in rbac.bicep). */
const SWITCH_ACTIONS = [
  'Microsoft.Logic/workflows/read',
  'Microsoft.Logic/workflows/enable/action',
  'Microsoft.Logic/workflows/disable/action',
  'Microsoft.Logic/workflows/triggers/read',
  'Microsoft.Logic/workflows/runs/read',
];
/** The one definition write (setRecurrence), for rewrite-mode split sides only. */
const REWRITE_ACTIONS = ['Microsoft.Logic/workflows/write'];
/** Logic Apps Standard: FlowState lives in the site's app settings. */
const STANDARD_ACTIONS = [
  'Microsoft.Web/sites/read',
  'Microsoft.Web/sites/config/list/action',
  'Microsoft.Web/sites/config/write',
];
const HEALTH_PROBE_ACTIONS = ['Microsoft.Logic/workflows/triggers/listCallbackUrl/action'];

/**
 * Each custom role, its actions, and where it is assigned: one assignment per name of a parameter list, on
 * the existing resource of that name (never the resource group).
 */
const ROLES = [
  {
    role: 'switchRole',
    actionsVar: 'switchActions',
    actions: SWITCH_ACTIONS,
    assignment: 'switchAssignments',
    on: 'switchedWorkflows',
    type: 'Microsoft.Logic/workflows',
    names: 'switchedWorkflowNames',
  },
  {
    role: 'rewriteRole',
    actionsVar: 'rewriteActions',
    actions: REWRITE_ACTIONS,
    assignment: 'rewriteAssignments',
    on: 'rewrittenWorkflows',
    type: 'Microsoft.Logic/workflows',
    names: 'rewriteWorkflowNames',
  },
  {
    role: 'standardRole',
    actionsVar: 'standardActions',
    actions: STANDARD_ACTIONS,
    assignment: 'standardAssignments',
    on: 'standardSites',
    type: 'Microsoft.Web/sites',
    names: 'standardSiteNames',
  },
  {
    role: 'healthProbeRole',
    actionsVar: 'healthProbeActions',
    actions: HEALTH_PROBE_ACTIONS,
    assignment: 'healthProbeAssignments',
    on: 'healthCheckWorkflows',
    type: 'Microsoft.Logic/workflows',
    names: 'healthCheckWorkflowNames',
  },
] as const;

let files: BicepFile[];
let rbac: BicepFile;
let main: BicepFile;
beforeAll(async () => {
  files = await loadInfra();
  rbac = files.find((f) => f.path === 'infra/rbac.bicep')!;
  main = files.find((f) => f.path === 'infra/main.bicep')!;
});

const sorted = (s: Iterable<string>) => [...s].sort();
const declaration = (f: BicepFile, name: string) => {
  const d = declarations(f).find((x) => x.name === name);
  if (!d) throw new Error(`${f.path} declares no ${name}`);
  return d;
};
const customRoles = (f: BicepFile) =>
  declarations(f).filter(
    (d) =>
      d.kind === 'resource' &&
      !d.existing &&
      d.target?.startsWith('Microsoft.Authorization/roleDefinitions@'),
  );

describe('custom roles in rbac.bicep', () => {
  it.each(ROLES)('$role holds exactly its documented actions', ({ role, actionsVar, actions }) => {
    expect(sorted(customRoleActions(rbac, role))).toEqual(sorted(actions));
    expect(literal(declaration(rbac, actionsVar).value)).toEqual(actions);
    expect(compact(propertyPath(declaration(rbac, role).body, ['properties', 'permissions']))).toBe(
      `[{actions:${actionsVar}notActions:[]}]`,
    );
  });

  it('are the only custom roles, one per kind of access', () => {
    expect(
      customRoles(rbac)
        .map((d) => d.name)
        .sort(),
    ).toEqual([...ROLES.map((r) => r.role), 'listRole', 'linkRole'].sort());
    expect(
      files.filter((f) => f !== rbac).flatMap((f) => customRoles(f).map((d) => `${f.path}#${d.name}`)),
    ).toEqual([]);
  });

  it.each(ROLES)(
    '$role is assigned on each named $type, never on the resource group',
    ({ role, assignment, on, type, names }) => {
      const a = declaration(rbac, assignment);
      expect(a.loop).toBe(true);
      expect(compact(property(a.body, 'scope'))).toBe(`${on}[i]`);
      expect(compact(propertyPath(a.body, ['properties', 'roleDefinitionId']))).toBe(`${role}.id`);
      expect(compact(property(a.body, 'name'))).toBe(`guid(${on}[i].id,principalId,${role}.id)`);
      expect(a.node.text).toMatch(new RegExp(`for \\(\\w+, i\\) in ${names}:`));
      const target = declaration(rbac, on);
      expect(target.existing).toBe(true);
      expect(target.loop).toBe(true);
      expect(target.target?.split('@')[0]).toBe(type);
      expect(target.node.text).toMatch(new RegExp(`for \\w+ in ${names}:`));
      // The role exists only where there is something to assign it on (and in the pass that defines roles).
      expect(declaration(rbac, role).condition).toBe(`(defineRoles && !empty(${names}))`);
    },
  );

  it('list workflows at resource-group scope only when opted in, read only, and only for several workflows', () => {
    expect(sorted(customRoleActions(rbac, 'listRole'))).toEqual(['Microsoft.Logic/workflows/read']);
    expect(literal(declaration(rbac, 'listActions').value)).toEqual(['Microsoft.Logic/workflows/read']);
    const optIn = declaration(rbac, 'listWorkflows');
    expect(optIn.kind).toBe('param');
    expect(compact(optIn.value)).toBe('false');
    expect(compact(declaration(rbac, 'grantList').value)).toBe(
      'listWorkflows&&length(switchedWorkflowNames)>1',
    );
    expect(declaration(rbac, 'listRole').condition).toBe('(defineRoles && grantList)');
    const a = declaration(rbac, 'listAssignment');
    expect(a.condition).toBe('(assignRoles && grantList)');
    expect(a.loop).toBe(false);
    expect(property(a.body, 'scope')).toBeUndefined(); // the resource group this file is deployed to
    expect(compact(propertyPath(a.body, ['properties', 'roleDefinitionId']))).toBe('listRole.id');
    expect(compact(property(a.body, 'name'))).toBe('guid(resourceGroup().id,principalId,listRole.id)');
    const mod = declaration(main, 'workflowRoles');
    // Once per resource group: only its first assignment deployment assigns on the group.
    expect(compact(property(property(mod.body, 'params'), 'listWorkflows'))).toBe(
      'listWorkflowsInResourceGroups&&target.first',
    );
    expect(compact(declaration(main, 'listWorkflowsInResourceGroups').value)).toBe('false');
  });

  it('grant workflows/write only through the role on rewrite-mode workflows, and sites/config/* only on sites', () => {
    const holders = (action: string) =>
      files.flatMap((f) =>
        customRoles(f)
          .filter((d) => customRoleActions(f, d.name).has(action))
          .map((d) => d.name),
      );
    expect(holders('Microsoft.Logic/workflows/write')).toEqual(['rewriteRole']);
    expect(holders('Microsoft.Web/sites/config/list/action')).toEqual(['standardRole']);
    expect(holders('Microsoft.Web/sites/config/write')).toEqual(['standardRole']);
    expect(holders('Microsoft.Logic/workflows/triggers/listCallbackUrl/action')).toEqual(['healthProbeRole']);
    // Every workflow that is rewritten is switched as well (it is enabled and disabled too).
    expect(compact(declaration(rbac, 'switchedWorkflowNames').value)).toBe(
      'union(workflowNames,rewriteWorkflowNames)',
    );
  });

  it('take the names from parameters that default to none, so a resource group gets only what it holds', () => {
    for (const name of [
      'workflowNames',
      'rewriteWorkflowNames',
      'standardSiteNames',
      'healthCheckWorkflowNames',
    ]) {
      const p = declaration(rbac, name);
      expect(p.kind, name).toBe('param');
      expect(literal(p.value), name).toEqual([]);
    }
    // The former switches that granted whole-resource-group access are gone.
    for (const gone of ['grantWorkflowOperator', 'includeStandardActions', 'operatorAssignment'])
      expect(
        declarations(rbac).some((d) => d.name === gone),
        gone,
      ).toBe(false);
  });

  it('main.bicep passes each resource group the names the preprovision hook derived from the plan', () => {
    const mod = declaration(main, 'workflowRoles');
    expect(mod.loop).toBe(true);
    const params = property(mod.body, 'params');
    expect(compact(property(params, 'workflowNames'))).toBe('target.workflows');
    expect(compact(property(params, 'rewriteWorkflowNames'))).toBe('target.rewriteWorkflows');
    expect(compact(property(params, 'standardSiteNames'))).toBe('target.sites');
    expect(compact(property(params, 'healthCheckWorkflowNames'))).toBe('target.healthCheckWorkflows');
  });

  it('document why each action is needed, next to the action', () => {
    for (const action of [
      ...SWITCH_ACTIONS,
      ...REWRITE_ACTIONS,
      ...STANDARD_ACTIONS,
      ...HEALTH_PROBE_ACTIONS,
    ]) {
      const line = rbac.text.split('\n').find((l) => l.includes(`'${action}'`));
      expect(line, action).toMatch(/\/\/ \w+.{10,}/);
    }
  });

  /** rbac.bicep with one edit, parsed: the edit must apply, or the test would check the unedited template. */
  const rbacWith = (from: string, to: string) => {
    expect(rbac.text, `the template still contains ${JSON.stringify(from)}`).toContain(from);
    return parseBicep(rbac.path, rbac.text.replace(from, to));
  };
  const othersThanRbac = () => files.filter((f) => f.path !== rbac.path);

  it('would fail if an action were added to a role, or write moved into the switch role', async () => {
    const widened = await rbacWith(
      "'Microsoft.Logic/workflows/runs/read'",
      "'Microsoft.Logic/workflows/runs/read'\n  'Microsoft.Logic/workflows/delete'",
    );
    expect(customRoleActions(widened, 'switchRole')).toContain('Microsoft.Logic/workflows/delete');
    expect(sorted(customRoleActions(widened, 'switchRole'))).not.toEqual(sorted(SWITCH_ACTIONS));
    const writeEverywhere = await rbacWith(
      "'Microsoft.Logic/workflows/read' //",
      "'Microsoft.Logic/workflows/write'\n  'Microsoft.Logic/workflows/read' //",
    );
    expect(customRoleActions(writeEverywhere, 'switchRole')).toContain('Microsoft.Logic/workflows/write');
  });

  it('would fail if a role were assigned on the resource group again', async () => {
    const groupWide = await rbacWith('    scope: rewrittenWorkflows[i]\n', '');
    expect(roleAssignmentViolations([groupWide, ...othersThanRbac()])).toEqual([
      expect.stringContaining(
        'role assignment rewriteAssignments: custom role rewriteRole acts on Microsoft.Logic/workflows but is assigned on the whole resource group',
      ),
    ]);
  });

  it('would fail if the resource-group list role could do more than read', async () => {
    const widened = await rbacWith(
      "  'Microsoft.Logic/workflows/read' // list the resource group's",
      "  'Microsoft.Logic/workflows/disable/action' // widened\n  'Microsoft.Logic/workflows/read' // list the resource group's",
    );
    expect(roleAssignmentViolations([widened, ...othersThanRbac()])).toEqual([
      expect.stringContaining(
        'role assignment listAssignment: custom role listRole acts on Microsoft.Logic/workflows but is assigned on the whole resource group',
      ),
    ]);
  });

  it('assign Azure Service Bus Data Sender on the notification entity, not on the namespace', () => {
    for (const [name, entity] of [
      ['queueSender', 'queue'],
      ['topicSender', 'topic'],
    ] as const) {
      const assignment = declaration(rbac, name);
      expect(compact(property(assignment.body, 'scope'))).toBe(entity);
      expect(compact(propertyPath(assignment.body, ['properties', 'roleDefinitionId']))).toBe(
        "subscriptionResourceId('Microsoft.Authorization/roleDefinitions',serviceBusDataSender)",
      );
    }
    expect(literal(declaration(rbac, 'serviceBusDataSender').value)).toBe(
      '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
    );
  });

  it('name custom roles per resource group, so two groups never collide on a tenant-wide role name', () => {
    for (const { role } of ROLES) {
      const roleName = propertyPath(declaration(rbac, role).body, ['properties', 'roleName']);
      expect(roleName?.text, role).toContain('${resourceGroup().name} ${scopeToken}');
      expect(compact(property(declaration(rbac, role).body, 'name'))).toMatch(
        /^guid\(resourceGroup\(\)\.id,/,
      );
    }
    // The switch role keeps the id of the former resource-group-wide operator role: redeploying narrows it.
    expect(compact(property(declaration(rbac, 'switchRole').body, 'name'))).toBe(
      "guid(resourceGroup().id,'logic-apps-failover-operator')",
    );
  });
});
