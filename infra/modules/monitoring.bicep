// Application Insights on a Log Analytics workspace, with local (instrumentation key) auth switched off:
// the control plane's identity publishes telemetry through Entra ID (Monitoring Metrics Publisher).
param workspaceName string
param applicationInsightsName string
param location string
param tags object = {}
param identityPrincipalId string

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

module workspace './log-analytics.bicep' = {
  name: 'log-analytics-control-plane'
  params: {
    name: workspaceName
    location: location
    tags: tags
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.outputs.id
    DisableLocalAuth: true
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identityPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

output applicationInsightsName string = appInsights.name
output workspaceId string = workspace.outputs.id
