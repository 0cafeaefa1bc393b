// Event Grid subscription: BlobCreated under <container>/<prefix> -> the Functions host's blobs webhook for one
// Event Grid-based blob trigger. Deployed by main.bicep only when deployEventSubscription is true, because the
// `blobs_extension` system key read below exists only after the host has loaded that trigger.
// Endpoint format: https://learn.microsoft.com/azure/azure-functions/functions-event-grid-blob-trigger
//   https://<app>.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.<name>&code=<blobs_extension>
targetScope = 'resourceGroup'

@description('Name of the existing function app that hosts the blob trigger.')
param functionAppName string

@description('Name of the blob-trigger function (as registered with app.storageBlob), without the Host.Functions. prefix.')
param functionName string

@description('Name of the existing Event Grid system topic of the storage account.')
param systemTopicName string

@description('Name of the existing storage account (the dead-letter destination lives there too).')
param storageAccountName string

@description('Blob container whose new blobs are delivered.')
param containerName string

@description('Blob name prefix inside the container (with trailing slash); only blobs under it are delivered.')
param blobPrefix string

@description('Container that receives events Event Grid could not deliver after all retries.')
param deadLetterContainerName string

@description('Event Grid subscription name.')
param subscriptionName string = 'phone-import-blob-created'

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

// Microsoft.Web/sites/host has no Bicep type in any API version, so the key is read with the listKeys() function
// on the resource id rather than through a typed `existing` resource.
var blobsExtensionKey = listKeys('${functionApp.id}/host/default', '2024-11-01').systemKeys.blobs_extension

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        // One CSV per delivery: a file can be large, and a failed one must not hold back the others.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/blobs/${blobPrefix}'
      // Blob names are case-sensitive; results/ and other prefixes in the same container must not trigger imports.
      isSubjectCaseSensitive: true
    }
    retryPolicy: {
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
}

@description('Event subscription name.')
output name string = subscription.name

@description('Event subscription resource id.')
output id string = subscription.id
