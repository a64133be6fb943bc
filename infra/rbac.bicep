// Least-privilege access for the control plane's identity, deployed once per resource group it touches.
// Every assignment is scoped to this resource group or to a resource inside it, never to the subscription,
// and is named guid(scope, principal, role) so a redeployment finds the same assignment.
// A team that owns a workflow resource group and will not let the control plane's deployer in can deploy
// this file itself: az deployment group create -g <rg> -f infra/rbac.bicep -p principalId=<id> ...
targetScope = 'resourceGroup'

@description('Object id of the control plane identity.')
param principalId string
@allowed(['ServicePrincipal', 'User', 'Group'])
param principalType string = 'ServicePrincipal'

@description('Grant the Logic Apps operator role on this resource group (it holds workflows the plan fails over).')
param grantWorkflowOperator bool = false
@description('Add the App Service actions needed for Logic Apps Standard workflows (sites in this resource group).')
param includeStandardActions bool = false
@description('Consumption health-check or dependency-probe workflows in this resource group whose callback URL the control plane reads.')
param healthCheckWorkflowNames array = []

@description('Service Bus namespace in this resource group that receives the CloudEvents; empty for none.')
param serviceBusNamespaceName string = ''
@allowed(['queue', 'topic'])
param serviceBusEntityKind string = 'queue'
param serviceBusEntityName string = ''

// What the control plane does to Consumption workflows, one ARM action each:
var workflowActions = [
  'Microsoft.Logic/workflows/read' // read state, definition and the Recurrence it may rewrite
  'Microsoft.Logic/workflows/write' // rewrite a split schedule (PUT of the definition) at failover and failback
  'Microsoft.Logic/workflows/enable/action' // activate the passive side
  'Microsoft.Logic/workflows/disable/action' // deactivate the failed or the passive side
  'Microsoft.Logic/workflows/triggers/read' // find the trigger whose schedule is rewritten and check its state
  'Microsoft.Logic/workflows/runs/read' // see whether runs are still in flight before and after a switch
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

var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
// Custom role names are unique per tenant: tie each to this resource group.
var scopeToken = uniqueString(resourceGroup().id)

resource operatorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (grantWorkflowOperator) {
  name: guid(resourceGroup().id, 'logic-apps-failover-operator')
  properties: {
    roleName: 'Logic Apps Failover Operator (${resourceGroup().name} ${scopeToken})'
    description: 'Enable, disable and reschedule the Logic Apps in ${resourceGroup().name} for regional failover.'
    type: 'CustomRole'
    permissions: [
      {
        actions: concat(workflowActions, includeStandardActions ? standardActions : [])
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource operatorAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantWorkflowOperator) {
  name: guid(resourceGroup().id, principalId, operatorRole.id)
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: operatorRole.id
  }
}

resource healthProbeRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!empty(healthCheckWorkflowNames)) {
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
  for (workflowName, i) in healthCheckWorkflowNames: {
    name: guid(healthCheckWorkflows[i].id, principalId, healthProbeRole.id)
    scope: healthCheckWorkflows[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: healthProbeRole.id
    }
  }
]

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' existing = if (!empty(serviceBusNamespaceName)) {
  name: serviceBusNamespaceName
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' existing = if (!empty(serviceBusNamespaceName) && serviceBusEntityKind == 'queue') {
  parent: namespace
  name: serviceBusEntityName
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' existing = if (!empty(serviceBusNamespaceName) && serviceBusEntityKind == 'topic') {
  parent: namespace
  name: serviceBusEntityName
}

// Azure Service Bus Data Sender on the one entity the CloudEvents go to, not on the namespace.
resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(serviceBusNamespaceName) && serviceBusEntityKind == 'queue') {
  name: guid(queue.id, principalId, serviceBusDataSender)
  scope: queue
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
  }
}

resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(serviceBusNamespaceName) && serviceBusEntityKind == 'topic') {
  name: guid(topic.id, principalId, serviceBusDataSender)
  scope: topic
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
  }
}

output operatorRoleDefinitionId string = grantWorkflowOperator ? operatorRole.id : ''
output healthProbeRoleDefinitionId string = empty(healthCheckWorkflowNames) ? '' : healthProbeRole.id
