// The notification namespace: Standard tier because duplicate detection (CloudEvent ids as message ids) needs
// it, and local (SAS) auth disabled so only Entra ID principals with a data role can send or receive.
param namespaceName string
param location string
param tags object = {}
@allowed(['queue', 'topic'])
param entityKind string
param entityName string
@description('Topic only: a subscription that keeps every event, so events are not dropped before a consumer subscribes.')
param topicSubscriptionName string = 'all-events'
@description('How long Service Bus remembers message ids; a retried notification inside this window is dropped.')
param duplicateDetectionWindow string = 'PT1H'

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = if (entityKind == 'queue') {
  parent: namespace
  name: entityName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    maxDeliveryCount: 10
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2026-01-01' = if (entityKind == 'topic') {
  parent: namespace
  name: entityName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    defaultMessageTimeToLive: 'P14D'
  }
}

resource topicSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2026-01-01' = if (entityKind == 'topic') {
  parent: topic
  name: topicSubscriptionName
  properties: {
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: 10
  }
}

output namespaceName string = namespace.name
output namespaceId string = namespace.id
