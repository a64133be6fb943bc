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
@description('Client id of the Entra app registration (app roles Failover.Operator, Failover.Reader) whose tokens App Service Authentication validates; empty leaves it off, and the API then refuses x-ms-client-principal.')
param authClientId string = ''
@description('With authClientId: refuse requests without a valid Entra token at the platform (401), before the function key is checked. Match DR_REQUIRE_PRINCIPAL.')
param requirePrincipal bool = true
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

// App Service Authentication (Easy Auth) with Entra ID: it validates a caller's bearer token, drops any
// x-ms-client-principal the caller sent and forwards the real one, which is what makes the app roles
// trustworthy (Azure then sets WEBSITE_AUTH_ENABLED=True, the signal src/http/auth.ts checks). With
// requirePrincipal (the default here) a request without a valid token is answered 401 by the platform, function
// key or not: a leaked key is not enough, and an API answers 401 rather than redirecting to a login page.
// Without it, requests without a token pass on to the function-key check and the API treats them as readers.
resource auth 'Microsoft.Web/sites/config@2025-03-01' = if (!empty(authClientId)) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: requirePrincipal
      unauthenticatedClientAction: requirePrincipal ? 'Return401' : 'AllowAnonymous'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
