// The router in front of the sample's Request-triggered workflow `orders-api`: an API Management service
// (Consumption tier, the cheapest, billed per call) in the SECONDARY region, so it survives the loss of the
// primary (docs/router.md). Callers call the API; its policy sends every call to the backend `orders-api`,
// which holds the active region's callback URL. The control plane's switch rewrites exactly that backend
// (url, query and which named value its `sig` comes from, in one write, If-Match its ETag) and the secret named
// value holding the new region's `sig`, as the plan's `router.apiManagement` says (backend `orders-api`,
// signature { namedValues: { <location>: 'orders-api-sig-<location>' } }: one per region, so no call is ever
// sent with one region's url and the other's sig).
// Deployed pointing at the primary's orders-api, WITHOUT its signature: no list*() call in infra (a callback
// URL's sig would land in the deployment history). After deploying, write the sig once (docs/router.md,
// "The sample workload"); from then on the control plane's switch writes url, query and sig together.
targetScope = 'resourceGroup'

param location string = resourceGroup().location
@description('API Management service name (globally unique): the plan\'s router.apiManagement.service.')
param apimName string
param publisherEmail string
param publisherName string
@description('Resource group of the primary region\'s sample workload (same subscription).')
param primaryResourceGroup string
@description('The primary region\'s location: its sig has a named value of its own.')
param primaryLocation string
param workflowName string = 'orders-api'
param triggerName string = 'manual'
param tags object = {}

// The backend and the named values the switch writes: names the plan's router entry repeats.
var backendName = 'orders-api'
var signaturePrefix = 'orders-api-sig'
var signatureNames = [
  '${signaturePrefix}-${primaryLocation}'
  '${signaturePrefix}-${location}'
]

resource primaryWorkflow 'Microsoft.Logic/workflows@2019-05-01' existing = {
  name: workflowName
  scope: resourceGroup(primaryResourceGroup)
}

// The callback URL's parts listCallbackUrl would return, but the sig: its base path and its fixed query.
var primaryBasePath = '${primaryWorkflow.properties.accessEndpoint}/triggers/${triggerName}/paths/invoke'
var callbackQuery = {
  'api-version': ['2016-10-01']
  sp: ['/triggers/${triggerName}/run']
  sv: ['1.0']
}

resource apim 'Microsoft.ApiManagement/service@2024-05-01' = {
  name: apimName
  location: location
  tags: tags
  sku: {
    name: 'Consumption'
    capacity: 0
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
  }
}

// Each region's sig, as a secret: the backend refers to the active one, so no sig shows in its definition.
// Deployed as placeholders (calls are refused 401 until the primary's sig is written). A redeployment puts the
// placeholders and the primary's url back: redeploy only while the primary is active, and write the sig again.
resource signatures 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = [
  for name in signatureNames: {
    parent: apim
    name: name
    properties: {
      displayName: name
      secret: true
      value: 'written-after-deployment'
    }
  }
]

// The one backend the switch rewrites: the active region's callback URL (basePath) and its query.
resource backend 'Microsoft.ApiManagement/service/backends@2024-05-01' = {
  parent: apim
  name: backendName
  dependsOn: [signatures]
  properties: {
    protocol: 'http'
    url: primaryBasePath
    description: 'The active region\'s orders-api callback URL: switched by the DR control plane on failover and failback.'
    credentials: {
      query: union(callbackQuery, {
        sig: ['{{${signatureNames[0]}}}']
      })
    }
  }
}

resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: apim
  name: 'orders'
  properties: {
    displayName: 'Orders'
    path: 'orders'
    protocols: ['https']
    // Callers present an APIM subscription key; the Logic Apps sig stays inside APIM.
    subscriptionRequired: true
  }
}

resource placeOrder 'Microsoft.ApiManagement/service/apis/operations@2024-05-01' = {
  parent: api
  name: 'place-order'
  properties: {
    displayName: 'Place an order'
    method: 'POST'
    urlTemplate: '/'
  }
}

// Every call of the API goes to the switched backend: whichever region it points at is the active one.
resource policy 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: api
  name: 'policy'
  dependsOn: [backend]
  properties: {
    format: 'rawxml'
    value: '<policies><inbound><base /><set-backend-service backend-id="${backendName}" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>'
  }
}

output gatewayUrl string = apim.properties.gatewayUrl
output apiUrl string = '${apim.properties.gatewayUrl}/${api.properties.path}'
