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
import { customRoleActions } from './checks';

/** The ARM actions the control plane performs on Consumption workflows (see the comments in rbac.bicep). */
const WORKFLOW_ACTIONS = [
  'Microsoft.Logic/workflows/read',
  'Microsoft.Logic/workflows/write',
  'Microsoft.Logic/workflows/enable/action',
  'Microsoft.Logic/workflows/disable/action',
  'Microsoft.Logic/workflows/triggers/read',
  'Microsoft.Logic/workflows/runs/read',
];
/** Logic Apps Standard: FlowState lives in the site's app settings. */
const STANDARD_ACTIONS = [
  'Microsoft.Web/sites/read',
  'Microsoft.Web/sites/config/list/action',
  'Microsoft.Web/sites/config/write',
];
const HEALTH_PROBE_ACTIONS = ['Microsoft.Logic/workflows/triggers/listCallbackUrl/action'];

let rbac: BicepFile;
beforeAll(async () => {
  rbac = (await loadInfra()).find((f) => f.path === 'infra/rbac.bicep')!;
});

const sorted = (s: Iterable<string>) => [...s].sort();
const declaration = (f: BicepFile, name: string) => declarations(f).find((d) => d.name === name)!;

describe('custom roles in rbac.bicep', () => {
  it('give the operator role exactly the documented Logic Apps actions, plus the Standard ones only when asked', () => {
    expect(sorted(customRoleActions(rbac, 'operatorRole'))).toEqual(
      sorted([...WORKFLOW_ACTIONS, ...STANDARD_ACTIONS]),
    );
    expect(literal(declaration(rbac, 'workflowActions').value)).toEqual(WORKFLOW_ACTIONS);
    expect(literal(declaration(rbac, 'standardActions').value)).toEqual(STANDARD_ACTIONS);
    const actions = propertyPath(declaration(rbac, 'operatorRole').body, ['properties', 'permissions']);
    expect(compact(actions)).toContain(
      'actions:concat(workflowActions,includeStandardActions?standardActions:[])',
    );
  });

  it('keep listCallbackUrl out of the operator role: it is a separate role on the health-check workflow only', () => {
    expect(customRoleActions(rbac, 'operatorRole')).not.toContain(HEALTH_PROBE_ACTIONS[0]);
    expect(sorted(customRoleActions(rbac, 'healthProbeRole'))).toEqual(HEALTH_PROBE_ACTIONS);
    const assignment = declaration(rbac, 'healthProbeAssignments');
    expect(assignment.loop).toBe(true);
    expect(compact(property(assignment.body, 'scope'))).toBe('healthCheckWorkflows[i]');
    const workflows = declaration(rbac, 'healthCheckWorkflows');
    expect(workflows.existing).toBe(true);
    expect(workflows.target).toMatch(/^Microsoft\.Logic\/workflows@/);
  });

  it('document why each action is needed, next to the action', () => {
    for (const action of [...WORKFLOW_ACTIONS, ...STANDARD_ACTIONS, ...HEALTH_PROBE_ACTIONS]) {
      const line = rbac.text.split('\n').find((l) => l.includes(`'${action}'`));
      expect(line, action).toMatch(/\/\/ \w+.{10,}/);
    }
  });

  it('would fail if an action were added to the operator role', async () => {
    const widened = await parseBicep(
      rbac.path,
      rbac.text.replace(
        "'Microsoft.Logic/workflows/runs/read'",
        "'Microsoft.Logic/workflows/runs/read'\n  'Microsoft.Logic/workflows/delete'",
      ),
    );
    expect(sorted(customRoleActions(widened, 'operatorRole'))).not.toEqual(
      sorted([...WORKFLOW_ACTIONS, ...STANDARD_ACTIONS]),
    );
    expect(customRoleActions(widened, 'operatorRole')).toContain('Microsoft.Logic/workflows/delete');
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
    for (const role of ['operatorRole', 'healthProbeRole']) {
      const roleName = propertyPath(declaration(rbac, role).body, ['properties', 'roleName']);
      expect(roleName?.text, role).toContain('${resourceGroup().name} ${scopeToken}');
      expect(compact(property(declaration(rbac, role).body, 'name'))).toMatch(
        /^guid\(resourceGroup\(\)\.id,/,
      );
    }
  });
});
