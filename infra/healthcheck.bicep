// The health-check Logic App in the PRIMARY region. The control plane calls its Request trigger: an answer of
// 200 {"status":"Healthy"} means the Logic Apps runtime in the primary region accepts and runs workflows.
// With dependencyChecks it also calls the services the workloads need and answers 503 when one fails.
targetScope = 'resourceGroup'

param name string = 'dr-healthcheck'
param location string = resourceGroup().location
param tags object = {}
@description('Label returned in the response body, so a probe can tell which region answered.')
param regionLabel string = 'primary'
@description('Optional dependency checks: [{ name, uri }] called with GET and the workflow\'s managed identity; any failure answers 503.')
param dependencyChecks array = []
@description('Audience of the token sent to dependency checks; empty sends no token.')
param dependencyAudience string = ''
@description('Log Analytics workspace in this region for workflow runtime logs; empty creates one.')
param logAnalyticsWorkspaceId string = ''

var baseDefinition = loadJsonContent('workflows/healthcheck.json')
var healthyBody = baseDefinition.actions.Response.inputs.body

// Each dependency becomes an HTTP action inside one scope; the scope's outcome picks the answer.
var checkActions = toObject(
  dependencyChecks,
  check => 'Check_${check.name}',
  check => {
    type: 'Http'
    runAfter: {}
    inputs: union(
      {
        method: 'GET'
        uri: check.uri
      },
      empty(dependencyAudience)
        ? {}
        : {
            authentication: {
              type: 'ManagedServiceIdentity'
              audience: dependencyAudience
            }
          }
    )
  }
)

var definitionWithChecks = union(baseDefinition, {
  actions: {
    Dependency_checks: {
      type: 'Scope'
      runAfter: {}
      actions: checkActions
    }
    Response: {
      runAfter: {
        Dependency_checks: ['Succeeded']
      }
    }
    Response_unhealthy: {
      type: 'Response'
      kind: 'Http'
      runAfter: {
        Dependency_checks: ['Failed', 'TimedOut', 'Skipped']
      }
      inputs: {
        statusCode: 503
        headers: {
          'Content-Type': 'application/json'
        }
        body: union(healthyBody, {
          status: 'Unhealthy'
          failed: '@result(\'Dependency_checks\')'
        })
      }
    }
  }
})

module workspace './modules/log-analytics.bicep' = if (empty(logAnalyticsWorkspaceId)) {
  name: 'log-analytics-${name}'
  params: {
    name: 'log-${name}-${uniqueString(resourceGroup().id)}'
    location: location
    tags: tags
  }
}

resource healthCheck 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: tags
  identity: empty(dependencyAudience)
    ? null
    : {
        type: 'SystemAssigned'
      }
  properties: {
    state: 'Enabled'
    definition: empty(dependencyChecks) ? baseDefinition : definitionWithChecks
    parameters: {
      region: {
        value: regionLabel
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'workflow-runtime-logs'
  scope: healthCheck
  properties: {
    // The workspace module is conditional: `.?` says its output may be absent (BCP318), the given id is then used.
    workspaceId: empty(logAnalyticsWorkspaceId) ? workspace.?outputs.id : logAnalyticsWorkspaceId
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

output name string = healthCheck.name
output id string = healthCheck.id
output triggerName string = 'manual'
