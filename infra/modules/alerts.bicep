// What makes the control plane's own failures, and every decision that needs a person, reach one: an action
// group (email and webhook from azd env values) used by every alert, a standard availability test on the
// anonymous /api/health from three locations with its alert, log alerts over the app's structured records
// (queries in infra/monitoring/alert-queries.json, parsed by test/infra/kql.test.ts), and the workbook.
param applicationInsightsName string
param location string
param tags object = {}
@description('Host name of the Function App; the availability test calls https://<host>/api/health.')
param functionAppHostName string
@description('Email receiver of the action group (azd env DR_ALERT_EMAIL); empty: none.')
param alertEmail string = ''
@secure()
@description('Webhook receiver of the action group (azd env DR_ALERT_WEBHOOK_URL, e.g. a Teams or PagerDuty URL); empty: none.')
param alertWebhookUrl string = ''
@description('The heartbeat alert fires when no probe cycle finished in this many minutes.')
@minValue(2)
param heartbeatMinutes int = 5
@description('The pending-fence alert fires when fences have been pending this many minutes (DR_FENCE_ALERT_MINUTES).')
@minValue(1)
param fenceMinutes int = 10
@description('Where runbook links point: the runbook of this deployment\'s repository.')
param runbookUrl string = 'docs/runbook.md'

var queries = loadJsonContent('../monitoring/alert-queries.json').alerts
var prefix = 'dr-${applicationInsightsName}'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${prefix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'dr-failover'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'operators'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
    webhookReceivers: empty(alertWebhookUrl)
      ? []
      : [
          {
            name: 'webhook'
            serviceUri: alertWebhookUrl
            useCommonAlertSchema: true
          }
        ]
  }
}

resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-${prefix}-health'
  location: location
  // The portal links a test to its component through this tag.
  tags: union(tags, { 'hidden-link:${appInsights.id}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-${prefix}-health'
    Name: 'control plane /api/health'
    Description: 'The dead-man\'s switch: 200 while the watchdog ticks and the monitor finishes probe cycles.'
    Enabled: true
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [
      { Id: 'emea-nl-ams-azr' }
      { Id: 'emea-gb-db3-azr' }
      { Id: 'us-va-ash-azr' }
    ]
    Request: {
      RequestUrl: 'https://${functionAppHostName}/api/health'
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-${prefix}-health-unavailable'
  location: 'global'
  tags: union(tags, { 'hidden-link:${appInsights.id}': 'Resource', 'hidden-link:${healthTest.id}': 'Resource' })
  properties: {
    description: '/api/health fails from 2 or more locations: the Function App, the watchdog or the monitor has stopped. Runbook: ${runbookUrl}#alert-health-unavailable'
    severity: 0
    enabled: true
    scopes: [
      healthTest.id
      appInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: appInsights.id
      failedLocationCount: 2
    }
    actions: [
      { actionGroupId: actionGroup.id }
    ]
  }
}

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for a in queries: {
    name: 'alert-${prefix}-${a.name}'
    location: location
    tags: tags
    properties: {
      displayName: replace(replace(a.title, '{heartbeatMinutes}', string(heartbeatMinutes)), '{fenceMinutes}', string(fenceMinutes))
      description: '${a.description} Runbook: ${runbookUrl}#${a.anchor}'
      severity: a.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: a.name == 'heartbeat-missing' ? 'PT${heartbeatMinutes * 2}M' : 'PT5M'
      criteria: {
        allOf: [
          {
            query: replace(replace(a.query, '{heartbeatMinutes}', string(heartbeatMinutes)), '{fenceMinutes}', string(fenceMinutes))
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
        customProperties: {
          runbook: '${runbookUrl}#${a.anchor}'
        }
      }
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsights.id, 'dr-failover-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Logic Apps failover control plane'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: loadTextContent('../monitoring/workbook.json')
  }
}

output actionGroupId string = actionGroup.id
output availabilityTestId string = healthTest.id
output workbookId string = workbook.id
