// Optional Sentinel playbook: a Logic App with a system-assigned managed identity, triggered by Microsoft Sentinel
// incidents (automation rule -> "Run playbook"), that publishes each incident to the risk topic. The riskEvents
// function recognises the incident by its Account entities (aadUserId) and re-checks those users in Graph, so one
// incident per user never means one ticket per incident.
// The Sentinel connection authenticates with the Logic App's managed identity; give that identity "Microsoft Sentinel
// Responder" on the workspace and give Sentinel's automation "Microsoft Sentinel Automation Contributor" on this
// resource group (https://learn.microsoft.com/azure/sentinel/automation/authenticate-playbooks-to-sentinel).
targetScope = 'resourceGroup'

@description('Name of the Logic App.')
param playbookName string = 'entraops-risk-to-eventgrid'

@description('Azure region of the Logic App and its connection.')
param location string = resourceGroup().location

@description('Tags for the Logic App.')
param tags object = {}

@description('Name of the risk topic in this resource group (infra/modules/risk-events.bicep).')
param topicName string

@description('Endpoint of the risk topic (infra/modules/risk-events.bicep output topicEndpoint).')
param topicEndpoint string

var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource sentinelConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: '${playbookName}-sentinel'
  location: location
  tags: tags
  properties: {
    displayName: '${playbookName} Microsoft Sentinel (managed identity)'
    api: { id: subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'azuresentinel') }
    // Managed-identity API connections need this property, which the published resource types do not list yet.
    #disable-next-line BCP037
    parameterValueType: 'Alternative'
  }
}

resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {
  name: playbookName
  location: location
  tags: union(tags, { 'hidden-SentinelTemplateName': 'entraops-risk-to-eventgrid' })
  identity: { type: 'SystemAssigned' }
  properties: {
    state: 'Enabled'
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      parameters: { '$connections': { type: 'Object', defaultValue: {} } }
      triggers: {
        Microsoft_Sentinel_incident: {
          type: 'ApiConnectionWebhook'
          inputs: {
            host: { connection: { name: '@parameters(\'$connections\')[\'azuresentinel\'][\'connectionId\']' } }
            body: { callback_url: '@{listCallbackUrl()}' }
            path: '/incident-creation'
          }
        }
      }
      actions: {
        Publish_to_risk_topic: {
          type: 'Http'
          inputs: {
            method: 'POST'
            uri: topicEndpoint
            headers: { 'Content-Type': 'application/json' }
            // Event Grid schema; the event id is the incident's own unique event id, so Sentinel's re-runs dedupe.
            body: [
              {
                id: '@{triggerBody()?[\'eventUniqueId\']}'
                eventType: 'Microsoft.Sentinel.Incident'
                subject: '@{triggerBody()?[\'object\']?[\'id\']}'
                eventTime: '@{utcNow()}'
                dataVersion: '1'
                data: '@triggerBody()'
              }
            ]
            authentication: { type: 'ManagedServiceIdentity', audience: 'https://eventgrid.azure.net' }
          }
          runAfter: {}
        }
      }
    }
    parameters: {
      '$connections': {
        value: {
          azuresentinel: {
            connectionId: sentinelConnection.id
            connectionName: sentinelConnection.name
            id: subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'azuresentinel')
            connectionProperties: { authentication: { type: 'ManagedServiceIdentity' } }
          }
        }
      }
    }
  }
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

resource publishRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, playbook.id, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: playbook.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Principal id of the playbook identity (grant it Microsoft Sentinel Responder on the workspace).')
output principalId string = playbook.identity.principalId

@description('Logic App resource id (choose it in a Sentinel automation rule).')
output playbookId string = playbook.id
