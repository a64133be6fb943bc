// The sample workload, deployed once per region from the SAME template with a per-region parameter file,
// as the Logic Apps DR guidance recommends:
//   az deployment group create -g <primary rg>   -f main.bicep -p @primary.parameters.json
//   az deployment group create -g <secondary rg> -f main.bicep -p @secondary.parameters.json
// Workflow definitions are plain definition files in ./workflows (the simulator loads the same files).
targetScope = 'resourceGroup'

@allowed(['primary', 'secondary'])
@description('Which side of the failover plan this deployment is.')
param region string
param location string = resourceGroup().location
@allowed(['even', 'odd'])
@description('The split-report twin that runs in this region; the other twin is deployed Disabled (passive).')
param activeSplitTwin string
@allowed(['Enabled', 'Disabled'])
@description('State of the active-passive workflows: Enabled in the primary, Disabled in the secondary.')
param activePassiveState string
@description('Log Analytics workspace in this region that receives the workflows\' runtime logs.')
param logAnalyticsWorkspaceName string
@description('The order system the webhook subscribes to.')
param orderSystemUrl string
@description('Fully qualified Service Bus namespace of the orders queue both regions consume (peek-lock).')
param ordersNamespace string
param ordersQueueName string = 'orders'
@description('Resource group of the orders namespace; empty leaves the Data Receiver role to its owner.')
param ordersNamespaceResourceGroup string = ''
param tags object = {}
@description('Deploy the API Management router in front of orders-api here: true in the secondary region only (it must survive the loss of the primary), after the primary is deployed.')
param deployRouter bool = false
@description('With deployRouter: the API Management service name (globally unique), as the plan\'s router names it.')
param apimName string = ''
@description('With deployRouter: the API publisher\'s e-mail (API Management requires one).')
param apimPublisherEmail string = ''
@description('With deployRouter: the primary region\'s resource group, whose orders-api the router points at first.')
param primaryResourceGroup string = ''
@description('With deployRouter: the primary region\'s location (its sig has a named value of its own).')
param primaryLocation string = ''

var splitReport = loadJsonContent('workflows/split-report.json')
// Slot minutes of a 10-minute cadence split across the regions: even slots in one, odd slots in the other.
var splitMinutes = {
  even: [0, 20, 40]
  odd: [10, 30, 50]
}
var splitTwin = {
  even: union(splitReport, {
    triggers: {
      Recurrence: {
        recurrence: {
          schedule: {
            minutes: splitMinutes.even
          }
        }
      }
    }
  })
  odd: union(splitReport, {
    triggers: {
      Recurrence: {
        recurrence: {
          schedule: {
            minutes: splitMinutes.odd
          }
        }
      }
    }
  })
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logAnalyticsWorkspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

// Managed API connections are regional: each region has its own, with the same name. Their ids are known
// before deployment (the workflows loop below needs values it can compute up front).
var office365Api = subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'office365')
var serviceBusApi = subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'servicebus')

resource office365 'Microsoft.Web/connections@2016-06-01' = {
  name: 'office365'
  location: location
  tags: tags
  properties: {
    displayName: 'Mailbox poller (${region}): sign in after deployment'
    api: {
      id: office365Api
    }
  }
}

resource serviceBus 'Microsoft.Web/connections@2016-06-01' = {
  name: 'servicebus'
  location: location
  tags: tags
  properties: {
    displayName: 'Orders queue (${region})'
    api: {
      id: serviceBusApi
    }
    // The workflow's managed identity authenticates: no connection string, no SAS key.
    parameterValueSet: {
      name: 'managedIdentityAuth'
      values: {
        namespaceEndpoint: {
          value: 'sb://${ordersNamespace}/'
        }
      }
    }
  }
}

var regionParameter = {
  region: {
    value: region
  }
}

var workflows = [
  {
    name: 'split-report-even'
    definition: splitTwin.even
    state: activeSplitTwin == 'even' ? 'Enabled' : 'Disabled'
    identity: false
    parameters: regionParameter
  }
  {
    name: 'split-report-odd'
    definition: splitTwin.odd
    state: activeSplitTwin == 'odd' ? 'Enabled' : 'Disabled'
    identity: false
    parameters: regionParameter
  }
  {
    name: 'order-webhook'
    definition: loadJsonContent('workflows/order-webhook.json')
    state: activePassiveState
    identity: false
    parameters: union(regionParameter, {
      orderSystemUrl: {
        value: orderSystemUrl
      }
    })
  }
  {
    name: 'mailbox-poller'
    definition: loadJsonContent('workflows/mailbox-poller.json')
    state: activePassiveState
    identity: false
    parameters: union(regionParameter, {
      '$connections': {
        value: {
          office365: {
            connectionId: office365.id
            connectionName: office365.name
            id: office365Api
          }
        }
      }
    })
  }
  {
    // Active-active: both regions are competing consumers of one peek-lock queue (server-side state).
    name: 'queue-consumer'
    definition: loadJsonContent('workflows/queue-consumer.json')
    state: 'Enabled'
    identity: true
    parameters: union(regionParameter, {
      queueName: {
        value: ordersQueueName
      }
      '$connections': {
        value: {
          servicebus: {
            connectionId: serviceBus.id
            connectionName: serviceBus.name
            id: serviceBusApi
            connectionProperties: {
              authentication: {
                type: 'ManagedServiceIdentity'
              }
            }
          }
        }
      }
    })
  }
  {
    // Active-passive, Request-triggered: callers reach it through the API Management router (below).
    name: 'orders-api'
    definition: loadJsonContent('workflows/orders-api.json')
    state: activePassiveState
    identity: false
    parameters: regionParameter
  }
]

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = [
  for wf in workflows: {
    name: wf.name
    location: location
    tags: union(tags, { 'dr-region': region })
    identity: wf.identity
      ? {
          type: 'SystemAssigned'
        }
      : null
    properties: {
      state: wf.state
      definition: wf.definition
      parameters: wf.parameters
    }
  }
]

// Workflow runtime logs go to this region's workspace, as the DR guidance suggests.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (wf, i) in workflows: {
    name: 'workflow-runtime-logs'
    scope: workflow[i]
    properties: {
      workspaceId: workspace.id
      logs: [
        {
          category: 'WorkflowRuntime'
          enabled: true
        }
      ]
      metrics: [
        {
          category: 'AllMetrics'
          enabled: true
        }
      ]
    }
  }
]

// queue-consumer is workflows[4]; its identity receives from the orders queue.
module queueReceiver 'modules/queue-receiver.bicep' = if (!empty(ordersNamespaceResourceGroup)) {
  name: 'orders-queue-receiver-${region}'
  scope: resourceGroup(ordersNamespaceResourceGroup)
  params: {
    namespaceName: split(ordersNamespace, '.')[0]
    queueName: ordersQueueName
    principalId: workflow[4].identity.principalId
  }
}

// The router in front of orders-api (one, in the secondary region): the DR control plane switches its backend.
module ordersRouter 'modules/orders-router.bicep' = if (deployRouter) {
  name: 'orders-api-router'
  dependsOn: [workflow]
  params: {
    location: location
    apimName: apimName
    publisherEmail: apimPublisherEmail
    publisherName: 'Contoso orders'
    primaryResourceGroup: primaryResourceGroup
    primaryLocation: primaryLocation
    tags: tags
  }
}

output workflowIds array = [for (wf, i) in workflows: workflow[i].id]
output office365ConnectionName string = office365.name
output ordersApiUrl string = deployRouter ? ordersRouter!.outputs.apiUrl : ''
