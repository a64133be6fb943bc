// A Log Analytics workspace for one region: workflow runtime logs stay in the region that produced them.
param name string
param location string
param tags object = {}
@minValue(30)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      // Readers need a role on the workspace or the resource; no shared workspace keys are handed out.
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

output id string = workspace.id
output name string = workspace.name
