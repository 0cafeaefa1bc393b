// Risk signals: a custom Event Grid topic that Sentinel/Defender automation, Logic Apps or any publisher sends risk
// events to, and its subscription to the `riskEvents` function through the Functions host's Event Grid webhook.
// Deployed by main.bicep only when deployEventSubscription is true, because the `eventgrid_extension` system key read
// below exists only after the host has loaded an Event Grid trigger.
// Endpoint format: https://learn.microsoft.com/azure/azure-functions/functions-bindings-event-grid-trigger
//   https://<app>.azurewebsites.net/runtime/webhooks/eventgrid?functionName=<name>&code=<eventgrid_extension>
targetScope = 'resourceGroup'

@description('Name of the existing function app that hosts the riskEvents trigger.')
param functionAppName string

@description('Name of the Event Grid trigger function.')
param functionName string = 'riskEvents'

@description('Name of the custom topic to create.')
param topicName string

@description('Azure region of the topic.')
param location string = resourceGroup().location

@description('Tags for the topic.')
param tags object = {}

@description('Schema publishers use: EventGridSchema (Logic Apps Event Grid connector, az eventgrid) or CloudEventSchemaV1_0. The function accepts both.')
@allowed(['EventGridSchema', 'CloudEventSchemaV1_0'])
param inputSchema string = 'EventGridSchema'

@description('Name of the existing storage account holding the dead-letter container.')
param storageAccountName string

@description('Container that receives events Event Grid could not deliver after all retries (or that the function refused).')
param deadLetterContainerName string

@description('Principal ids (managed identities of playbooks, automation accounts) allowed to publish to the topic.')
param publisherPrincipalIds string[] = []

@description('Event subscription name.')
param subscriptionName string = 'risk-events'

var roles = {
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

// Microsoft.Web/sites/host has no Bicep type, so the key is read with listKeys() on the resource id.
var eventGridExtensionKey = listKeys('${functionApp.id}/host/default', '2024-11-01').systemKeys.eventgrid_extension

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  name: '${storageAccountName}/default/${deadLetterContainerName}'
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: inputSchema
    // Publishers authenticate with Entra ID (EventGrid Data Sender), never with topic access keys.
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    minimumTlsVersionAllowed: '1.2'
  }
}

resource publisherRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in publisherPrincipalIds: {
    name: guid(topic.id, principalId, roles.eventGridDataSender)
    scope: topic
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Undeliverable events are dead-lettered with the topic's own identity, which may write to that one container only.
resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, deadLetterContainerName, topic.id, roles.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource subscription 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/eventgrid?functionName=${functionName}&code=${eventGridExtensionKey}'
        // Batches are all-or-nothing: one event per delivery keeps a bad event from holding back the others.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: inputSchema == 'CloudEventSchemaV1_0' ? 'CloudEventSchemaV1_0' : 'EventGridSchema'
    retryPolicy: {
      // Event Grid's maximum: a provider or Graph outage of up to a day loses nothing.
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
  dependsOn: [deadLetterRole]
}

@description('Topic endpoint publishers POST to.')
output topicEndpoint string = topic.properties.endpoint

@description('Topic resource id (scope for more EventGrid Data Sender assignments).')
output topicId string = topic.id

@description('Event subscription name.')
output subscriptionName string = subscription.name
