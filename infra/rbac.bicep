// Least-privilege access for the control plane's identity, deployed once per resource group it touches.
// Every Logic Apps and App Service role is assigned on the individual workflows and sites the plan names
// (existing resources, referenced by name), never on the resource group: a site's app settings decide what
// code it runs (WEBSITE_RUN_FROM_PACKAGE), and a workflow's definition is code too, so write access to either
// stays on exactly the resources the control plane must change. Nothing is scoped to the subscription.
// Assignments are named guid(scope, principal, role) so a redeployment finds the same assignment.
// A rewrite-mode workflow is PUT back whole, so ARM also checks join/assign on the API connections,
// user-assigned identities and integration account it links to: those get one more role, on each of them.
// main.bicep deploys this file twice per resource group: once to define the roles (assignRoles=false), then,
// after that finished, to assign them (defineRoles=false), in chunks ARM accepts.
// A team that owns a workflow resource group and will not let the control plane's deployer in can deploy
// this file itself: az deployment group create -g <rg> -f infra/rbac.bicep -p principalId=<id> ...
// (`node infra/hooks/preprovision.mjs --rbac PLAN` prints that command for each resource group of a plan).
targetScope = 'resourceGroup'

@description('Object id of the control plane identity.')
param principalId string
@allowed(['ServicePrincipal', 'User', 'Group'])
param principalType string = 'ServicePrincipal'

@description('Consumption workflows in this resource group that the plan fails over: the control plane reads, enables and disables each.')
param workflowNames array = []
@description('Of those, the rewrite-mode split sides ({ workflow, mode: "rewrite" }): the only workflows whose definition the control plane rewrites (their Recurrence).')
param rewriteWorkflowNames array = []
@description('Logic Apps Standard sites in this resource group whose workflows the plan fails over (switched through the site\'s app settings).')
param standardSiteNames array = []
@description('Consumption health-check or dependency-probe workflows in this resource group whose callback URL the control plane reads.')
param healthCheckWorkflowNames array = []

@description('Opt-in: let the control plane list this resource group\'s workflows (read only, at resource-group scope) so it reads the plan\'s workflows a page at a time instead of one GET each. Off by default: every role then stays on the named workflows and each read is one GET (the control plane falls back by itself when a list is refused).')
param listWorkflows bool = false

@description('Resources in this resource group that the rewrite-mode workflows reference, by kind (connections, userAssignedIdentities, integrationAccounts; names). A rewrite PUTs the whole workflow back with its $connections, identities and integration account, and ARM then checks join/assign on each of them (LinkedAuthorizationFailed otherwise).')
param linkedResources object = {
  connections: []
  userAssignedIdentities: []
  integrationAccounts: []
}

@description('Create the custom role definitions. main.bicep defines them in a deployment of their own that completes before any assignment deployment starts, and then passes false.')
param defineRoles bool = true
@description('Create the role assignments; false deploys the role definitions only (see defineRoles).')
param assignRoles bool = true

@description('Service Bus namespace in this resource group that receives the CloudEvents; empty for none.')
param serviceBusNamespaceName string = ''
@allowed(['queue', 'topic'])
param serviceBusEntityKind string = 'queue'
param serviceBusEntityName string = ''

// What the control plane does to every Consumption workflow of the plan, one ARM action each:
var switchActions = [
  'Microsoft.Logic/workflows/read' // read state, definition and the Recurrence it may rewrite
  'Microsoft.Logic/workflows/enable/action' // activate the passive side
  'Microsoft.Logic/workflows/disable/action' // deactivate the failed or the passive side
  'Microsoft.Logic/workflows/triggers/read' // find the trigger whose schedule is rewritten and check its state
  'Microsoft.Logic/workflows/runs/read' // see whether runs are still in flight before and after a switch
]
// Only rewrite-mode split sides have their definition written (a PUT with the new Recurrence):
var rewriteActions = [
  'Microsoft.Logic/workflows/write' // rewrite a split schedule (PUT of the definition) at failover and failback
]
// Logic Apps Standard workflows are switched through the site's app settings (Workflows.<name>.FlowState):
var standardActions = [
  'Microsoft.Web/sites/read' // find the Standard logic app (site)
  'Microsoft.Web/sites/config/list/action' // read the app settings (read-modify-write of FlowState)
  'Microsoft.Web/sites/config/write' // write the app settings back with the new FlowState
]
// Only the health probe needs the trigger's signed callback URL, so it is a role of its own on that workflow:
var healthProbeActions = [
  'Microsoft.Logic/workflows/triggers/listCallbackUrl/action' // resolve the health-check Request trigger's URL
]

// Listing is the one read that cannot be granted per workflow: it sees every workflow of the resource group
// (state and definition, never secure parameters), and writes nothing.
var listActions = [
  'Microsoft.Logic/workflows/read' // list the resource group's workflows in pages (Workflows_ListByResourceGroup)
]

// A rewritten workflow is switched too, so it gets the switch role even if only listed for rewriting.
var switchedWorkflowNames = union(workflowNames, rewriteWorkflowNames)

// What ARM checks, besides workflows/write, when a rewrite PUTs a workflow that references other resources:
var linkActions = [
  'Microsoft.Web/connections/join/action' // a $connections entry: use the API connection in the workflow
  'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' // an identity the workflow runs as
  'Microsoft.Logic/integrationAccounts/join/action' // the integration account the workflow is linked to
]
var linkedConnections = linkedResources.?connections ?? []
var linkedIdentities = linkedResources.?userAssignedIdentities ?? []
var linkedIntegrationAccounts = linkedResources.?integrationAccounts ?? []
var anyLinked = !empty(linkedConnections) || !empty(linkedIdentities) || !empty(linkedIntegrationAccounts)

var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
// Custom role names are unique per tenant: tie each to this resource group.
var scopeToken = uniqueString(resourceGroup().id)

// The id of the former resource-group-wide operator role: redeploying narrows that role in place.
resource switchRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(switchedWorkflowNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-operator')
  properties: {
    roleName: 'Logic Apps Failover Operator (${resourceGroup().name} ${scopeToken})'
    description: 'Read, enable and disable the plan\'s Logic Apps in ${resourceGroup().name} for regional failover; assigned on each workflow.'
    type: 'CustomRole'
    permissions: [
      {
        actions: switchActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource rewriteRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(rewriteWorkflowNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-schedule-writer')
  properties: {
    roleName: 'Logic Apps Failover Schedule Writer (${resourceGroup().name} ${scopeToken})'
    description: 'Rewrite the Recurrence of the rewrite-mode split workflows in ${resourceGroup().name}; assigned on each of them.'
    type: 'CustomRole'
    permissions: [
      {
        actions: rewriteActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource standardRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(standardSiteNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-standard-switch')
  properties: {
    roleName: 'Logic Apps Failover Standard Switch (${resourceGroup().name} ${scopeToken})'
    description: 'Switch Logic Apps Standard workflows (FlowState app settings) of the plan\'s sites in ${resourceGroup().name}; assigned on each site.'
    type: 'CustomRole'
    permissions: [
      {
        actions: standardActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

// Only worth it where the plan has several workflows in this resource group.
var grantList = listWorkflows && length(switchedWorkflowNames) > 1

resource listRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && grantList) {
  name: guid(resourceGroup().id, 'logic-apps-failover-lister')
  properties: {
    roleName: 'Logic Apps Failover Lister (${resourceGroup().name} ${scopeToken})'
    description: 'List (read) the Logic Apps of ${resourceGroup().name} a page at a time; assigned on the resource group, read only.'
    type: 'CustomRole'
    permissions: [
      {
        actions: listActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

// No scope: the resource group this file is deployed to.
resource listAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignRoles && grantList) {
  name: guid(resourceGroup().id, principalId, listRole.id)
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: listRole.id
  }
}

resource switchedWorkflows 'Microsoft.Logic/workflows@2019-05-01' existing = [
  for workflowName in switchedWorkflowNames: {
    name: workflowName
  }
]

resource switchAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (workflowName, i) in switchedWorkflowNames: if (assignRoles) {
    name: guid(switchedWorkflows[i].id, principalId, switchRole.id)
    scope: switchedWorkflows[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: switchRole.id
    }
  }
]

resource rewrittenWorkflows 'Microsoft.Logic/workflows@2019-05-01' existing = [
  for workflowName in rewriteWorkflowNames: {
    name: workflowName
  }
]

resource rewriteAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (workflowName, i) in rewriteWorkflowNames: if (assignRoles) {
    name: guid(rewrittenWorkflows[i].id, principalId, rewriteRole.id)
    scope: rewrittenWorkflows[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: rewriteRole.id
    }
  }
]

resource standardSites 'Microsoft.Web/sites@2025-03-01' existing = [
  for siteName in standardSiteNames: {
    name: siteName
  }
]

resource standardAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (siteName, i) in standardSiteNames: if (assignRoles) {
    name: guid(standardSites[i].id, principalId, standardRole.id)
    scope: standardSites[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: standardRole.id
    }
  }
]

resource healthProbeRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(healthCheckWorkflowNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-health-probe')
  properties: {
    roleName: 'Logic Apps Failover Health Probe (${resourceGroup().name} ${scopeToken})'
    description: 'Read the callback URL of the health-check workflows in ${resourceGroup().name}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: healthProbeActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource healthCheckWorkflows 'Microsoft.Logic/workflows@2019-05-01' existing = [
  for workflowName in healthCheckWorkflowNames: {
    name: workflowName
  }
]

resource healthProbeAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (workflowName, i) in healthCheckWorkflowNames: if (assignRoles) {
    name: guid(healthCheckWorkflows[i].id, principalId, healthProbeRole.id)
    scope: healthCheckWorkflows[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: healthProbeRole.id
    }
  }
]

resource linkRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && anyLinked) {
  name: guid(resourceGroup().id, 'logic-apps-failover-linked-resources')
  properties: {
    roleName: 'Logic Apps Failover Linked Resources (${resourceGroup().name} ${scopeToken})'
    description: 'Let a rewrite of a plan workflow keep its API connections, user-assigned identities and integration account in ${resourceGroup().name}; assigned on each referenced resource.'
    type: 'CustomRole'
    permissions: [
      {
        actions: linkActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource connections 'Microsoft.Web/connections@2016-06-01' existing = [
  for name in linkedConnections: {
    name: name
  }
]

resource connectionAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in linkedConnections: if (assignRoles) {
    name: guid(connections[i].id, principalId, linkRole.id)
    scope: connections[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: linkRole.id
    }
  }
]

resource identities 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = [
  for name in linkedIdentities: {
    name: name
  }
]

resource identityAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in linkedIdentities: if (assignRoles) {
    name: guid(identities[i].id, principalId, linkRole.id)
    scope: identities[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: linkRole.id
    }
  }
]

resource integrationAccounts 'Microsoft.Logic/integrationAccounts@2019-05-01' existing = [
  for name in linkedIntegrationAccounts: {
    name: name
  }
]

resource integrationAccountAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in linkedIntegrationAccounts: if (assignRoles) {
    name: guid(integrationAccounts[i].id, principalId, linkRole.id)
    scope: integrationAccounts[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: linkRole.id
    }
  }
]

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = if (!empty(serviceBusNamespaceName)) {
  name: serviceBusNamespaceName
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' existing = if (!empty(serviceBusNamespaceName) && serviceBusEntityKind == 'queue') {
  parent: namespace
  name: serviceBusEntityName
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2026-01-01' existing = if (!empty(serviceBusNamespaceName) && serviceBusEntityKind == 'topic') {
  parent: namespace
  name: serviceBusEntityName
}

// Azure Service Bus Data Sender on the one entity the CloudEvents go to, not on the namespace.
resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignRoles && !empty(serviceBusNamespaceName) && serviceBusEntityKind == 'queue') {
  name: guid(queue.id, principalId, serviceBusDataSender)
  scope: queue
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
  }
}

resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignRoles && !empty(serviceBusNamespaceName) && serviceBusEntityKind == 'topic') {
  name: guid(topic.id, principalId, serviceBusDataSender)
  scope: topic
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
  }
}

output switchRoleDefinitionId string = empty(switchedWorkflowNames) ? '' : switchRole.id
output rewriteRoleDefinitionId string = empty(rewriteWorkflowNames) ? '' : rewriteRole.id
output standardRoleDefinitionId string = empty(standardSiteNames) ? '' : standardRole.id
output healthProbeRoleDefinitionId string = empty(healthCheckWorkflowNames) ? '' : healthProbeRole.id
output linkRoleDefinitionId string = anyLinked ? linkRole.id : ''
