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

// ---- Routers in front of Request-triggered workflows (docs/router.md) ----------------------------------------
// The switch writes exactly one part of each router: an API Management backend, API and secret named value,
// a Front Door origin, or a Traffic Manager endpoint. Each role holds only those actions (plus the reads that
// decide whether to write) and is assigned on the router resource the plan names, in this resource group.

@description('API Management services in this resource group whose backends, APIs or named values the plan switches.')
param apiManagementServiceNames array = []
@description('Front Door (Standard/Premium) profiles in this resource group whose origins the plan switches.')
param frontDoorProfileNames array = []
@description('Traffic Manager profiles in this resource group whose endpoints the plan switches.')
param trafficManagerProfileNames array = []
@description('Consumption workflows in this resource group fronted by an API Management router: the switch reads their callback URL.')
param routedWorkflowNames array = []

var apimSwitchActions = [
  'Microsoft.ApiManagement/service/read' // where the service runs (dr ready: does it survive the primary's loss)
  'Microsoft.ApiManagement/service/backends/read' // the backend's url and credentials, and its ETag
  'Microsoft.ApiManagement/service/backends/write' // the active region's callback URL (If-Match the ETag read)
  'Microsoft.ApiManagement/service/apis/read' // or the API whose serviceUrl carries the callback URL
  'Microsoft.ApiManagement/service/apis/write' // point the API's serviceUrl at the active region
  'Microsoft.ApiManagement/service/namedValues/read' // find the secret named value holding the sig
  'Microsoft.ApiManagement/service/namedValues/write' // write the active region's sig into it
  'Microsoft.ApiManagement/service/namedValues/listValue/action' // compare the sig before writing it
]
var frontDoorSwitchActions = [
  'Microsoft.Cdn/profiles/read' // find the Front Door profile
  'Microsoft.Cdn/profiles/originGroups/read' // find the origin group of the entry
  'Microsoft.Cdn/profiles/originGroups/origins/read' // read each origin's enabledState and priority
  'Microsoft.Cdn/profiles/originGroups/origins/write' // enabledState and priority of the two origins
]
var trafficManagerSwitchActions = [
  'Microsoft.Network/trafficManagerProfiles/read' // the endpoints and the routing method
  'Microsoft.Network/trafficManagerProfiles/externalEndpoints/read' // read each endpoint's endpointStatus
  'Microsoft.Network/trafficManagerProfiles/externalEndpoints/write' // endpointStatus of the two endpoints
  'Microsoft.Network/trafficManagerProfiles/azureEndpoints/read' // the same, for Azure endpoints
  'Microsoft.Network/trafficManagerProfiles/azureEndpoints/write' // the same, for Azure endpoints
  'Microsoft.Network/trafficManagerProfiles/nestedEndpoints/read' // the same, for nested profiles
  'Microsoft.Network/trafficManagerProfiles/nestedEndpoints/write' // the same, for nested profiles
]

resource apimSwitchRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(apiManagementServiceNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-apim-switch')
  properties: {
    roleName: 'Logic Apps Failover APIM Router Switch (${resourceGroup().name} ${scopeToken})'
    description: 'Point an API Management backend or API at the active region\'s Logic Apps callback URL; assigned on each service.'
    type: 'CustomRole'
    permissions: [
      {
        actions: apimSwitchActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource apimServices 'Microsoft.ApiManagement/service@2024-05-01' existing = [
  for name in apiManagementServiceNames: {
    name: name
  }
]

resource apimSwitchAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in apiManagementServiceNames: if (assignRoles) {
    name: guid(apimServices[i].id, principalId, apimSwitchRole.id)
    scope: apimServices[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: apimSwitchRole.id
    }
  }
]

resource frontDoorSwitchRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(frontDoorProfileNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-frontdoor-switch')
  properties: {
    roleName: 'Logic Apps Failover Front Door Router Switch (${resourceGroup().name} ${scopeToken})'
    description: 'Enable and disable the origins of the plan\'s Front Door origin groups; assigned on each profile.'
    type: 'CustomRole'
    permissions: [
      {
        actions: frontDoorSwitchActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource frontDoorProfiles 'Microsoft.Cdn/profiles@2025-06-01' existing = [
  for name in frontDoorProfileNames: {
    name: name
  }
]

resource frontDoorSwitchAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in frontDoorProfileNames: if (assignRoles) {
    name: guid(frontDoorProfiles[i].id, principalId, frontDoorSwitchRole.id)
    scope: frontDoorProfiles[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: frontDoorSwitchRole.id
    }
  }
]

resource trafficManagerSwitchRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(trafficManagerProfileNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-trafficmanager-switch')
  properties: {
    roleName: 'Logic Apps Failover Traffic Manager Router Switch (${resourceGroup().name} ${scopeToken})'
    description: 'Enable and disable the endpoints of the plan\'s Traffic Manager profiles; assigned on each profile.'
    type: 'CustomRole'
    permissions: [
      {
        actions: trafficManagerSwitchActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource trafficManagerProfiles 'Microsoft.Network/trafficmanagerprofiles@2026-09-01' existing = [
  for name in trafficManagerProfileNames: {
    name: name
  }
]

resource trafficManagerSwitchAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in trafficManagerProfileNames: if (assignRoles) {
    name: guid(trafficManagerProfiles[i].id, principalId, trafficManagerSwitchRole.id)
    scope: trafficManagerProfiles[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: trafficManagerSwitchRole.id
    }
  }
]

// An APIM switch reads the callback URL of the workflow it points the router at: listCallbackUrl, on exactly
// the routed workflows (a role of its own, like the health probe's).
resource routedCallbackRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (defineRoles && !empty(routedWorkflowNames)) {
  name: guid(resourceGroup().id, 'logic-apps-failover-routed-callback')
  properties: {
    roleName: 'Logic Apps Failover Routed Callback Reader (${resourceGroup().name} ${scopeToken})'
    description: 'Read the callback URL of the Request-triggered workflows an API Management router sends calls to; assigned on each.'
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

resource routedWorkflows 'Microsoft.Logic/workflows@2019-05-01' existing = [
  for name in routedWorkflowNames: {
    name: name
  }
]

resource routedCallbackAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in routedWorkflowNames: if (assignRoles) {
    name: guid(routedWorkflows[i].id, principalId, routedCallbackRole.id)
    scope: routedWorkflows[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: routedCallbackRole.id
    }
  }
]
