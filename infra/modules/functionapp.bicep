// The control plane: a Flex Consumption (FC1) Function App on Node 22 (the code and tests also run on Node 20) that runs as the user-assigned identity.
// Every connection it makes (host storage, deployment package, telemetry, ARM, Service Bus) uses that identity.
param name string
param planName string
param location string
param tags object = {}
param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param applicationInsightsName string
@description('Settings the control plane reads (DR_*); merged over the identity-based host settings.')
param appSettings object
@description('Client id of the Entra app registration (app roles Failover.Operator, Failover.Reader) whose tokens the API verifies itself (src/http/entra-token.ts); empty: no Entra sign-in, callers are key-only.')
param authClientId string = ''
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(appSettings, {
      // Identity-based host storage: no connection string, no account key.
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // Telemetry through Entra ID: the component has local auth disabled, so the identity must authenticate.
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // DefaultAzureCredential picks the user-assigned identity for ARM and Service Bus.
      AZURE_CLIENT_ID: identityClientId
      // Entra sign-in, verified by the API itself (App Service Authentication does not run on Flex Consumption):
      // the app registration, its tenant and this cloud's login endpoint (sovereign clouds differ).
      DR_AUTH_CLIENT_ID: authClientId
      DR_AUTH_TENANT_ID: empty(authClientId) ? '' : tenant().tenantId
      DR_AUTH_AUTHORITY: environment().authentication.loginEndpoint
    })
  }
}

// No deployment with a user name and password: azd and the Flex Consumption package container authenticate
// with Entra ID, so the FTP and SCM (Kudu) basic-auth publishing credentials are switched off explicitly.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
