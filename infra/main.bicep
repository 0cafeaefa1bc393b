// entra-ops on Azure Functions Flex Consumption, composed from the parts of Azure-Samples/functions-quickstart-*-azd
// and the AVM defaults: one user-assigned identity for everything the app touches, storage without shared keys,
// identity-based AzureWebJobsStorage__* settings, Application Insights with Entra ID auth, secrets as Key Vault
// references. Deploy into an existing resource group: the "Deploying to Azure" section of README.md has the steps.
//
// Two-step deploy (why: the Event Grid subscription's webhook URL carries the host's `blobs_extension` system key,
// and the Functions host only creates that key once it has loaded a blob trigger with `source: 'EventGrid'`,
// i.e. after the code is published; Microsoft's own Event Grid blob quickstarts create the subscription post-deploy
// for the same reason):
//   1. deploy with deployEventSubscription=false (default), 2. publish the app, 3. deploy again with
//   deployEventSubscription=true. Re-running any step is safe: every name below is deterministic.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------------------------
// Naming and placement
// ---------------------------------------------------------------------------------------------------------------

@description('Short environment name (dev, test, prod). Part of every resource name and of the unique suffix, so two environments can share a resource group.')
@minLength(1)
@maxLength(10)
param environmentName string

@description('Letters and digits that start every resource name (lower-cased where Azure requires it).')
@minLength(3)
@maxLength(10)
param namePrefix string = 'entraops'

@description('Azure region for every resource. Flex Consumption is not offered in every region: check `az functionapp list-flexconsumption-locations`.')
param location string = resourceGroup().location

@description('Tags added to every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------------------------
// Platform sizing
// ---------------------------------------------------------------------------------------------------------------

@description('Storage account redundancy. ZRS or GZRS where the region offers zones.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param storageSkuName string = 'Standard_LRS'

@description('Node.js major version of the Flex Consumption runtime. The project is built and tested on 20; Node 20 reached end of life upstream on 2026-04-30, so move to 22 (package.json engines allow it) once CI runs on 22.')
@allowed(['20', '22'])
param nodeVersion string = '20'

@description('Memory per Flex Consumption instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('languageWorkers__node__arguments: V8 old-space cap of the Functions Node worker, in MiB. The 100,000-row phone import and a 200,000-member group sync stay under 256 MiB RSS with it and nodeMaxSemiSpaceMiB (docs/benchmarks.md); without a cap V8 lets garbage grow towards the instance memory. Raise it for larger jobs. 0 leaves Node\'s default (and, with nodeMaxSemiSpaceMiB 0, keeps pre-warmed workers: custom arguments make the runtime start a fresh worker, a slower cold start).')
@minValue(0)
@maxValue(4096)
param nodeMaxOldSpaceMiB int = 144

@description('languageWorkers__node__arguments: V8 semi-space of the Functions Node worker, in MiB. Node\'s default (16) lets the young generation take about 48 MiB; 2 keeps it near 6 MiB at the cost of more frequent minor collections. 0 leaves Node\'s default.')
@minValue(0)
@maxValue(64)
param nodeMaxSemiSpaceMiB int = 2

@description('Upper bound on Flex Consumption instances. Graph throttles per app and tenant, not per instance, so beyond a few instances more only means more 429s (each instance runs up to GRAPH_MAX_CONCURRENCY requests). Flex Consumption accepts 40 to 1000 in every region (lower values only in some) (https://learn.microsoft.com/azure/azure-functions/event-driven-scaling#limit-scale-out).')
// Some regions reject a maximum below 40 on Flex Consumption, so 40 is the floor that deploys everywhere.
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Days Log Analytics keeps logs (30 is included in the per-GB price).')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Key Vault purge protection. Leave on in production: once on it cannot be turned off, and it stops a deleted vault (and its ticketing secrets) from being purged before the retention period.')
param keyVaultPurgeProtection bool = true

@description('Recover a soft-deleted Key Vault with this deployment\'s name (after `azd down` without purge). azd up prints when this is needed.')
param keyVaultRecover bool = false

@description('Appended to the Key Vault name (at most 2 characters) to deploy next to a soft-deleted vault that cannot be recovered or purged.')
@maxLength(2)
param keyVaultNameSuffix string = ''

@description('App settings resolved from Key Vault: app setting name -> secret name in this deployment\'s vault (for example the ticketing credentials). Create the secret first; the app reads it through its managed identity.')
param appSettingsFromKeyVault { *: string } = {}

@description('Object ids (users, groups or service principals) allowed to upload CSV files into the phone-imports container (Storage Blob Data Contributor on that container only). Empty: grant it yourself.')
param phoneImportUploaderPrincipalIds string[] = []

// ---------------------------------------------------------------------------------------------------------------
// HTTP API access
// ---------------------------------------------------------------------------------------------------------------

@description('Client id of an Entra app registration that exposes the EntraOps.Admin and EntraOps.Reader app roles. When set, App Service authentication validates bearer tokens for it and the app requires those roles (REQUIRE_APP_ROLES=true) on top of function keys. Empty: function keys only.')
param appAuthClientId string = ''

@description('CONSOLE_CLIENT_ID: app registration (SPA platform, redirect URI https://<app>/api/console/) the operator console signs in with. Empty: the API registration (appAuthClientId) itself. Sign-in needs appAuthClientId.')
param consoleClientId string = ''

// ---------------------------------------------------------------------------------------------------------------
// Application settings (shared/config.ts; keep the two in step)
// ---------------------------------------------------------------------------------------------------------------

@description('GRAPH_BASE_URL: Microsoft Graph root. Empty picks the Graph endpoint of the cloud this deployment runs in (global, US Government L4, China).')
param graphBaseUrl string = ''

@description('GRAPH_MAX_CONCURRENCY: parallel Graph requests per instance.')
@minValue(1)
@maxValue(64)
param graphMaxConcurrency int = 8

@description('GRAPH_MAX_RETRIES: retries of a throttled (429) or transient (503/504) Graph request.')
@minValue(0)
@maxValue(20)
param graphMaxRetries int = 6

@description('GRAPH_MAX_BACKOFF_MS: longest wait between Graph retries when Graph sends no Retry-After.')
@minValue(100)
@maxValue(600000)
param graphMaxBackoffMs int = 60000

@description('GRAPH_WRITE_QUOTA_SHARE: fraction of Graph\'s identity write quota (3,000 writes per 150 s per app and tenant) each instance budgets for. 1 suits one app registration used by this deployment only; lower it when other tools write with the same registration (docs/benchmarks.md).')
@minValue(5)
@maxValue(100)
param graphWriteQuotaSharePercent int = 100

@description('LOG_LEVEL of the app\'s pino logger.')
@allowed(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
param logLevel string = 'info'

@description('SYNC_TIMER_SCHEDULE: NCRONTAB (six fields, seconds first, UTC) of the group-sync timer.')
@minLength(11)
param syncTimerSchedule string = '0 */5 * * * *'

@description('SYNC_LARGE_TARGET_WARNING: a sync target with more members than this is reported as large.')
@minValue(1)
@maxValue(10000000)
param syncLargeTargetWarning int = 50000

@description('PHONE_SWEEP_SCHEDULE: NCRONTAB (six fields, seconds first, UTC) of the timer that finishes phone imports stuck in running.')
@minLength(11)
param phoneSweepSchedule string = '0 */15 * * * *'

@description('PHONE_DEFAULT_REGION: ISO 3166 region (US, GB, ...) for phone numbers written without a leading +. Empty: such numbers are rejected.')
@maxLength(2)
param phoneDefaultRegion string = ''

@description('PHONE_OVERWRITE: replace an existing mobile number that differs from the CSV. Off: such rows are reported, not changed.')
param phoneOverwrite bool = false

@description('PHONE_ENABLE_SMS_SIGNIN: enable SMS sign-in on imported numbers by default.')
param phoneEnableSmsSignIn bool = false

@description('PHONE_ENABLE_SMS_WITHOUT_LICENCE: attempt SMS sign-in even when the user has no licence that includes it.')
param phoneEnableSmsWithoutLicence bool = false

@description('SMS_SIGNIN_GROUP_ID: object id of the group targeted by the SMS authentication-method policy; imported users are added to it. Empty: no group changes (and no GroupMember.ReadWrite.All needed for phone import).')
param smsSignInGroupId string = ''

@description('PHONE_CHUNK_SIZE: CSV rows per queue message.')
@minValue(1)
@maxValue(500)
param phoneChunkSize int = 100

@description('PHONE_MAX_FILE_BYTES: largest accepted CSV file.')
@minValue(1024)
@maxValue(1073741824)
param phoneMaxFileBytes int = 67108864

@description('PHONE_MAX_ROWS: most rows accepted in one CSV file.')
@minValue(1)
@maxValue(5000000)
param phoneMaxRows int = 500000

@description('PHONE_PRIVILEGED_ALLOWLIST: object ids or UPNs of privileged users (directory role holders, role-assignable group members) whose phone methods the import may change. Empty: privileged users are always skipped.')
param phonePrivilegedAllowList string[] = []

// ---------------------------------------------------------------------------------------------------------------
// Risk tickets
// ---------------------------------------------------------------------------------------------------------------

@description('TICKET_PROVIDER: where risk tickets are opened (builtin = the app\'s own table).')
@allowed(['builtin', 'servicenow', 'jira', 'webhook'])
param ticketProvider string = 'builtin'

@description('RISK_POLL_SCHEDULE: NCRONTAB of the risk poller (identity protection allows 1 request/s per tenant for all apps).')
@minLength(11)
param riskPollSchedule string = '0 */10 * * * *'

@description('RISK_MIN_LEVEL: lowest user risk level that opens a ticket (hidden levels in tenants without P2 always do).')
@allowed(['low', 'medium', 'high'])
param riskMinLevel string = 'low'

@description('RISK_BLOCKED_GUESTS: read sign-ins failed with 53011 and open tickets for guests blocked by home-tenant risk.')
param riskBlockedGuests bool = true

@description('RISK_LOOKBACK_DAYS: how far back the first poll reads detections and sign-ins.')
@minValue(1)
@maxValue(30)
param riskLookbackDays int = 30

@description('RISK_SIGNIN_ENRICH_MAX: recent risky or blocked sign-ins listed in a ticket (sign-in logs allow 5 requests per 10 s).')
@minValue(0)
@maxValue(1000)
param riskSignInEnrichMax int = 25

@description('TICKET_HTTP_TIMEOUT_MS: timeout of one call to the ticket system.')
@minValue(1000)
@maxValue(120000)
param ticketHttpTimeoutMs int = 15000

@description('ServiceNow provider, non-secret part (SERVICENOW_*): instance URL, auth kind, user or OAuth client id, close code and incident fields. The password or client secret comes from Key Vault through appSettingsFromKeyVault.')
param serviceNow {
  @description('https://<instance>.service-now.com')
  instanceUrl: string
  @description('basic or oauth (client credentials)')
  auth: ('basic' | 'oauth')
  @description('integration user (basic auth)')
  username: string
  @description('OAuth client id (oauth)')
  clientId: string
  @description('close_code when a ticket is resolved')
  closeCode: string
  @description('assignment_group sys_id (optional)')
  assignmentGroup: string
  @description('caller_id (optional)')
  callerId: string
  @description('category (optional)')
  category: string
} = {
  instanceUrl: ''
  auth: 'basic'
  username: ''
  clientId: ''
  closeCode: 'Solution provided'
  assignmentGroup: ''
  callerId: ''
  category: ''
}

@description('Jira Cloud provider, non-secret part (JIRA_*): site, account email, project, issue type, resolve transition, and how approvals are read from its webhook. The API token comes from Key Vault through appSettingsFromKeyVault.')
param jira {
  @description('https://<site>.atlassian.net')
  baseUrl: string
  @description('account email of the API token')
  email: string
  @description('project key, e.g. SEC')
  projectKey: string
  @description('issue type name')
  issueType: string
  @description('transition that resolves a ticket')
  resolveTransition: string
  @description('JIRA_APPROVAL_STATUSES: <status>=<action> pairs, comma-separated')
  approvalStatuses: string
  @description('JIRA_ACTION_FIELD: field that names the approved action')
  actionField: string
} = {
  baseUrl: ''
  email: ''
  projectKey: ''
  issueType: 'Task'
  resolveTransition: 'Done'
  approvalStatuses: ''
  actionField: ''
}

@description('TICKET_WEBHOOK_URL: receiver of signed ticket events (webhook provider); its secret comes from Key Vault.')
param ticketWebhookUrl string = ''

@description('Remediation (REMEDIATION_*): allow-lists per user kind (empty = the app\'s defaults), the directory role the app identity holds, password writeback, the groups guests are removed from, pass retrieval window and attempts.')
param remediation {
  @description('actions allowed on members')
  allowMember: string[]
  @description('actions allowed on guests')
  allowGuest: string[]
  @description('actions allowed on privileged users')
  allowPrivileged: string[]
  @description('none, userAdministrator or privilegedAuthenticationAdministrator')
  appDirectoryRole: ('none' | 'userAdministrator' | 'privilegedAuthenticationAdministrator')
  @description('on-premises password writeback is on')
  passwordWriteback: bool
  @description('group object ids removeFromGroups takes guests out of')
  guestGroups: string[]
  @description('minutes a retrieval link stays valid')
  passwordRetrievalMinutes: int
  @description('attempts of a queued action or write-back')
  maxAttempts: int
} = {
  allowMember: []
  allowGuest: []
  allowPrivileged: []
  appDirectoryRole: 'none'
  passwordWriteback: false
  guestGroups: []
  passwordRetrievalMinutes: 1440
  maxAttempts: 5
}

@description('Conditional Access helpers (CA_*): backup and break-glass schedules, retention, the break-glass accounts and groups every policy must exclude, and whether the guard adds missing exclusions itself.')
param conditionalAccess {
  @description('NCRONTAB of the daily backup')
  backupSchedule: string
  @description('days a backup is kept')
  backupRetentionDays: int
  @description('break-glass account object ids')
  breakGlassUsers: string[]
  @description('break-glass group object ids')
  breakGlassGroups: string[]
  @description('NCRONTAB of the break-glass guard')
  breakGlassSchedule: string
  @description('add missing break-glass exclusions (audited)')
  breakGlassAutoFix: bool
  @description('furthest expiry of a temporary policy exclusion, in days')
  exclusionMaxDays: int
  @description('NCRONTAB of the timer that ends expired exclusions')
  exclusionSchedule: string
} = {
  backupSchedule: '0 0 2 * * *'
  backupRetentionDays: 365
  breakGlassUsers: []
  breakGlassGroups: []
  breakGlassSchedule: '0 0 * * * *'
  breakGlassAutoFix: false
  exclusionMaxDays: 30
  exclusionSchedule: '0 */5 * * * *'
}

@description('Principal ids allowed to publish to the risk topic (EventGrid Data Sender), e.g. automation identities.')
param riskEventPublisherPrincipalIds string[] = []

@description('Also deploy the Sentinel playbook (Logic App with a managed identity) that publishes incidents to the risk topic. Needs deployEventSubscription.')
param deploySentinelPlaybook bool = false

// ---------------------------------------------------------------------------------------------------------------
// Event Grid delivery of CSV drops
// ---------------------------------------------------------------------------------------------------------------

@description('Create the Event Grid subscription that delivers BlobCreated events for phone-imports/incoming/ to the blob-trigger function. Leave false on the first deployment (the host key it needs does not exist before the code is published), then deploy again with true.')
param deployEventSubscription bool = false

@description('Name of the Event Grid blob-trigger function (the name passed to app.storageBlob) that handles phone-imports/incoming/{name}.')
@minLength(1)
param phoneImportBlobFunctionName string = 'phoneImportBlob'

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var baseName = '${namePrefix}-${environmentName}'
var names = {
  identity: 'id-${baseName}-${token}'
  storage: take(toLower('st${replace(namePrefix, '-', '')}${token}'), 24)
  plan: 'asp-${baseName}-${token}'
  functionApp: 'func-${baseName}-${token}'
  logAnalytics: 'log-${baseName}-${token}'
  appInsights: 'appi-${baseName}-${token}'
  keyVault: take(toLower('kv-${take(namePrefix, 8)}-${take(token, 13 - length(keyVaultNameSuffix))}${keyVaultNameSuffix}'), 24)
  systemTopic: 'evgt-${baseName}-${token}'
}
var allTags = union(tags, { app: 'entra-ops', environment: environmentName })

// The app writes these names into its code (phone-imports/incoming/, results/, ca-backups/); they are not
// parameters because a different value here would silently disconnect the infrastructure from the code.
var deploymentContainerName = 'app-package'
var phoneImportsContainerName = 'phone-imports'
var phoneImportsIncomingPrefix = 'incoming/'
var eventDeadLetterContainerName = 'event-deadletter'
var blobContainerNames = [deploymentContainerName, phoneImportsContainerName, 'ca-backups', eventDeadLetterContainerName]

// Microsoft Graph roots per cloud (https://learn.microsoft.com/graph/deployments). environment().graph is the
// retired Azure AD Graph, so it cannot be used here.
var graphRootByCloud = {
  AzureCloud: 'https://graph.microsoft.com'
  AzureUSGovernment: 'https://graph.microsoft.us'
  AzureChinaCloud: 'https://microsoftgraph.chinacloudapi.cn'
}
var effectiveGraphBaseUrl = empty(graphBaseUrl) ? graphRootByCloud[environment().name] : graphBaseUrl

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// ---------------------------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------------------------

// One user-assigned identity for storage, monitoring, Key Vault and Graph: it exists before the app (so roles and
// Graph app roles can be granted ahead of the first start) and survives an app re-create.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: allTags
}

// ---------------------------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: names.storage
  location: location
  tags: allTags
  kind: 'StorageV2'
  sku: { name: storageSkuName }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    // CSV drops, results and CA backups are audit evidence: keep deleted ones recoverable for a week.
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

// Uploads are attributable: blob writes and deletes (a CSV dropped into phone-imports, results, moves) go to Log
// Analytics with the caller's identity (RequesterObjectId, UPN, IP) and the request id (CorrelationId), which the
// import's audit entry records with the blob's ETag and time. Reads are left out: the app reads every file twice.
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'blob-writes-to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalytics.id
    logs: [
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for name in blobContainerNames: {
    parent: blobService
    name: name
    properties: { publicAccess: 'None' }
  }
]

// Storage Blob Data Owner is what the Functions host needs on AzureWebJobsStorage (blob leases for timers and
// singleton locks, blob receipts); Queue and Table Data Contributor cover the phone-import queue (and its poison
// queue, created by the host), sync state and the audit table.
// https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
var storageRoleIds = [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, identity.id, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource phoneImportsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: phoneImportsContainerName
}

resource uploaderRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in phoneImportUploaderPrincipalIds: {
    name: guid(storage.id, phoneImportsContainerName, principalId, roles.storageBlobDataContributor)
    scope: phoneImportsContainer
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
      principalId: principalId
    }
    dependsOn: [containers]
  }
]

// ---------------------------------------------------------------------------------------------------------------
// Monitoring
// ---------------------------------------------------------------------------------------------------------------

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: names.logAnalytics
  location: location
  tags: allTags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: logRetentionInDays
    features: { disableLocalAuth: true }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: names.appInsights
  location: location
  tags: allTags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Entra ID auth only: telemetry is accepted from identities with Monitoring Metrics Publisher, so the
    // instrumentation key in the connection string is not a credential.
    // https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
    DisableLocalAuth: true
  }
}

resource appInsightsRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Key Vault (ticketing credentials and other secrets, read through Key Vault references)
// ---------------------------------------------------------------------------------------------------------------

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: names.keyVault
  location: location
  tags: allTags
  properties: {
    // 'recover' brings back a soft-deleted vault of the same name after a teardown (purge protection keeps the name
    // taken for the retention period); the alternative is a new name through keyVaultNameSuffix.
    createMode: keyVaultRecover ? 'recover' : 'default'
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM rejects `false` here; purge protection is either on or absent.
    enablePurgeProtection: keyVaultPurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource keyVaultRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Function app
// ---------------------------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: names.plan
  location: location
  tags: allTags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

var keyVaultReferences = toObject(
  items(appSettingsFromKeyVault),
  entry => entry.key,
  entry => '@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/${entry.value})'
)

// Flex Consumption takes the runtime from functionAppConfig and rejects FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION as app settings. There is deliberately no AzureWebJobsStorage connection string: the
// host and the app's storage clients both use the identity-based AzureWebJobsStorage__* form.
// Secrets are empty here and filled by appSettingsFromKeyVault (the references win in the union below).
var appSettings = union({
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  GRAPH_BASE_URL: effectiveGraphBaseUrl
  // In Azure the only credential is the managed identity; static tokens are refused by the app outside loopback.
  GRAPH_AUTH: 'managedIdentity'
  AZURE_CLIENT_ID: identity.properties.clientId
  GRAPH_MAX_CONCURRENCY: string(graphMaxConcurrency)
  GRAPH_MAX_RETRIES: string(graphMaxRetries)
  GRAPH_MAX_BACKOFF_MS: string(graphMaxBackoffMs)
  // Bicep has no decimal literals: the share is given in percent and written as a decimal fraction.
  GRAPH_WRITE_QUOTA_SHARE: graphWriteQuotaSharePercent == 100 ? '1' : '0.${padLeft(string(graphWriteQuotaSharePercent), 2, '0')}'
  // The app validates Entra bearer tokens itself (Flex Consumption's App Service authentication is documented as
  // limited), for this tenant and the registration's two audience forms; app roles are required exactly then.
  REQUIRE_APP_ROLES: empty(appAuthClientId) ? 'false' : 'true'
  AUTH_TENANT_ID: empty(appAuthClientId) ? '' : tenant().tenantId
  AUTH_AUDIENCE: empty(appAuthClientId) ? '' : '${appAuthClientId},api://${appAuthClientId}'
  AUTH_AUTHORITY_HOST: environment().authentication.loginEndpoint
  AUTH_CLOCK_SKEW_SECONDS: '300'
  CONSOLE_CLIENT_ID: empty(appAuthClientId) ? '' : (empty(consoleClientId) ? appAuthClientId : consoleClientId)
  CONSOLE_API_SCOPE: empty(appAuthClientId) ? '' : 'api://${appAuthClientId}/user_impersonation'
  LOG_LEVEL: logLevel
  SYNC_TIMER_SCHEDULE: syncTimerSchedule
  SYNC_LARGE_TARGET_WARNING: string(syncLargeTargetWarning)
  PHONE_SWEEP_SCHEDULE: phoneSweepSchedule
  PHONE_DEFAULT_REGION: toUpper(phoneDefaultRegion)
  PHONE_OVERWRITE: phoneOverwrite ? 'true' : 'false'
  PHONE_ENABLE_SMS_SIGNIN: phoneEnableSmsSignIn ? 'true' : 'false'
  PHONE_ENABLE_SMS_WITHOUT_LICENCE: phoneEnableSmsWithoutLicence ? 'true' : 'false'
  SMS_SIGNIN_GROUP_ID: smsSignInGroupId
  PHONE_CHUNK_SIZE: string(phoneChunkSize)
  PHONE_MAX_FILE_BYTES: string(phoneMaxFileBytes)
  PHONE_MAX_ROWS: string(phoneMaxRows)
  PHONE_PRIVILEGED_ALLOWLIST: join(phonePrivilegedAllowList, ',')
  ENTRA_TENANT_ID: tenant().tenantId
  TICKET_PROVIDER: ticketProvider
  RISK_POLL_SCHEDULE: riskPollSchedule
  RISK_MIN_LEVEL: riskMinLevel
  RISK_BLOCKED_GUESTS: riskBlockedGuests ? 'true' : 'false'
  RISK_LOOKBACK_DAYS: string(riskLookbackDays)
  RISK_SIGNIN_ENRICH_MAX: string(riskSignInEnrichMax)
  // Pacing runs on real time against Graph; only the local sandbox compresses it.
  GRAPH_PACING_TIME_SCALE: '1'
  // Node arguments of the worker process (https://learn.microsoft.com/azure/azure-functions/functions-reference-node#languageworkers__node__arguments);
  // the benches run their measured jobs with the same arguments (bench/childRun.ts reads the two parameters).
  languageWorkers__node__arguments: trim('${nodeMaxOldSpaceMiB == 0 ? '' : '--max-old-space-size=${nodeMaxOldSpaceMiB}'} ${nodeMaxSemiSpaceMiB == 0 ? '' : '--max-semi-space-size=${nodeMaxSemiSpaceMiB}'}')
  TICKET_HTTP_TIMEOUT_MS: string(ticketHttpTimeoutMs)
  SERVICENOW_INSTANCE_URL: serviceNow.instanceUrl
  SERVICENOW_AUTH: serviceNow.auth
  SERVICENOW_USERNAME: serviceNow.username
  SERVICENOW_CLIENT_ID: serviceNow.clientId
  SERVICENOW_CLOSE_CODE: serviceNow.closeCode
  SERVICENOW_ASSIGNMENT_GROUP: serviceNow.assignmentGroup
  SERVICENOW_CALLER_ID: serviceNow.callerId
  SERVICENOW_CATEGORY: serviceNow.category
  SERVICENOW_PASSWORD: ''
  SERVICENOW_CLIENT_SECRET: ''
  SERVICENOW_CALLBACK_SECRET: ''
  JIRA_BASE_URL: jira.baseUrl
  JIRA_EMAIL: jira.email
  JIRA_PROJECT_KEY: jira.projectKey
  JIRA_ISSUE_TYPE: jira.issueType
  JIRA_RESOLVE_TRANSITION: jira.resolveTransition
  JIRA_APPROVAL_STATUSES: jira.approvalStatuses
  JIRA_ACTION_FIELD: jira.actionField
  JIRA_API_TOKEN: ''
  JIRA_WEBHOOK_SECRET: ''
  TICKET_WEBHOOK_URL: ticketWebhookUrl
  TICKET_WEBHOOK_SECRET: ''
  TICKET_CALLBACK_SECRET_WEBHOOK: ''
  TICKET_CALLBACK_SECRET_BUILTIN: ''
  // Links in tickets (one-time pass retrieval) point at the app's own host name.
  PUBLIC_BASE_URL: 'https://${functionApp.properties.defaultHostName}'
  PASS_VAULT_KEY: ''
  REMEDIATION_ALLOW_MEMBER: join(remediation.allowMember, ',')
  REMEDIATION_ALLOW_GUEST: join(remediation.allowGuest, ',')
  REMEDIATION_ALLOW_PRIVILEGED: join(remediation.allowPrivileged, ',')
  REMEDIATION_APP_DIRECTORY_ROLE: remediation.appDirectoryRole
  REMEDIATION_PASSWORD_WRITEBACK: remediation.passwordWriteback ? 'true' : 'false'
  REMEDIATION_GUEST_GROUPS: join(remediation.guestGroups, ',')
  REMEDIATION_PASSWORD_RETRIEVAL_MINUTES: string(remediation.passwordRetrievalMinutes)
  REMEDIATION_MAX_ATTEMPTS: string(remediation.maxAttempts)
  CA_BACKUP_SCHEDULE: conditionalAccess.backupSchedule
  CA_BACKUP_RETENTION_DAYS: string(conditionalAccess.backupRetentionDays)
  CA_BREAK_GLASS_USERS: join(conditionalAccess.breakGlassUsers, ',')
  CA_BREAK_GLASS_GROUPS: join(conditionalAccess.breakGlassGroups, ',')
  CA_BREAK_GLASS_SCHEDULE: conditionalAccess.breakGlassSchedule
  CA_BREAK_GLASS_AUTOFIX: conditionalAccess.breakGlassAutoFix ? 'true' : 'false'
  CA_EXCLUSION_MAX_DAYS: string(conditionalAccess.exclusionMaxDays)
  CA_EXCLUSION_SCHEDULE: conditionalAccess.exclusionSchedule
}, keyVaultReferences)

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: names.functionApp
  location: location
  // azd finds the app it publishes by this tag (azure.yaml service `api`).
  tags: union(allTags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      // No ftpsState: Flex Consumption sites have no FTP endpoint and newer stamps reject the property (error 51021).
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
  dependsOn: [
    // The app starts reading storage, App Insights and Key Vault references as soon as it exists.
    storageRoleAssignments
    appInsightsRoleAssignment
    keyVaultRoleAssignment
    containers
  ]
}

resource functionAppSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}

// Publishing with user/password (basic auth) is off: deployments go through Entra ID (az / func / azd).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

// App Service authentication in pass-through mode: it validates bearer tokens and injects x-ms-client-principal,
// but lets unauthenticated requests reach the app, because ticket callbacks (HMAC-signed) and the Event Grid
// webhooks (host keys) carry no Entra token. The app itself rejects admin calls without the required app role.
resource authSettings 'Microsoft.Web/sites/config@2024-11-01' = if (!empty(appAuthClientId)) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: appAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [appAuthClientId, 'api://${appAuthClientId}']
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Event Grid: CSV drops -> blob trigger
// ---------------------------------------------------------------------------------------------------------------

// Flex Consumption only supports the Event Grid-based blob trigger (no polling), so BlobCreated events must reach
// the host's blobs webhook. The system topic exists from the first deployment; its subscription is step 3.
resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: names.systemTopic
  location: location
  tags: allTags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: eventDeadLetterContainerName
}

// Undeliverable events are dead-lettered with the topic's own identity, which may write to that one container only.
resource deadLetterRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, eventDeadLetterContainerName, systemTopic.id, roles.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
  dependsOn: [containers]
}

// A module, not a conditional resource: ARM evaluates list*() of a conditioned-out resource, and listKeys fails
// while the host key does not exist. A module that is not deployed is not evaluated at all.
module phoneImportEvents 'modules/phone-import-events.bicep' = if (deployEventSubscription) {
  name: 'phone-import-events-${token}'
  params: {
    functionAppName: functionApp.name
    functionName: phoneImportBlobFunctionName
    systemTopicName: systemTopic.name
    storageAccountName: storage.name
    containerName: phoneImportsContainerName
    blobPrefix: phoneImportsIncomingPrefix
    deadLetterContainerName: eventDeadLetterContainerName
  }
  dependsOn: [deadLetterRoleAssignment, functionAppSettings]
}

var riskTopicName = 'evgt-${baseName}-risk-${token}'

// Risk signals: the custom topic and its subscription to riskEvents need the eventgrid_extension host key, so they
// follow the same second-deployment switch as the blob subscription.
module riskEvents 'modules/risk-events.bicep' = if (deployEventSubscription) {
  name: 'risk-events-${token}'
  params: {
    functionAppName: functionApp.name
    topicName: riskTopicName
    location: location
    tags: tags
    storageAccountName: storage.name
    deadLetterContainerName: eventDeadLetterContainerName
    publisherPrincipalIds: riskEventPublisherPrincipalIds
  }
  dependsOn: [containers, functionAppSettings]
}

module sentinelPlaybook 'modules/sentinel-risk-playbook.bicep' = if (deployEventSubscription && deploySentinelPlaybook) {
  name: 'sentinel-risk-playbook-${token}'
  params: {
    playbookName: 'logic-${baseName}-risk-${token}'
    location: location
    tags: tags
    topicName: riskTopicName
    topicEndpoint: riskEvents!.outputs.topicEndpoint
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------------------

@description('Function app name (for `func azure functionapp publish` and `az functionapp`).')
output functionAppName string = functionApp.name

@description('Function app resource id.')
output functionAppId string = functionApp.id

@description('Function app base URL; the HTTP API is under /api.')
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'

@description('User-assigned identity name.')
output identityName string = identity.name

@description('User-assigned identity resource id.')
output identityId string = identity.id

@description('User-assigned identity principal (object) id: grant Graph app roles to this one (infra/grant-graph-permissions.sh).')
output identityPrincipalId string = identity.properties.principalId

@description('User-assigned identity client id (AZURE_CLIENT_ID, AzureWebJobsStorage__clientId).')
output identityClientId string = identity.properties.clientId

@description('Storage account name.')
output storageAccountName string = storage.name

@description('Storage account resource id.')
output storageAccountId string = storage.id

@description('Container that receives CSV drops under incoming/ and holds results/.')
output phoneImportsContainerName string = phoneImportsContainerName

@description('Flex Consumption plan resource id.')
output planId string = plan.id

@description('Application Insights name.')
output appInsightsName string = appInsights.name

@description('Application Insights resource id.')
output appInsightsId string = appInsights.id

@description('Log Analytics workspace resource id.')
output logAnalyticsWorkspaceId string = logAnalytics.id

@description('Key Vault name (put ticketing secrets here, then map them with appSettingsFromKeyVault).')
output keyVaultName string = keyVault.name

@description('Key Vault resource id.')
output keyVaultId string = keyVault.id

@description('Key Vault URI.')
output keyVaultUri string = keyVault.properties.vaultUri

@description('Event Grid system topic name (storage account events).')
output eventGridSystemTopicName string = systemTopic.name

@description('Event Grid system topic principal id (dead-letter writer).')
output eventGridSystemTopicPrincipalId string = systemTopic.identity.principalId

@description('Event Grid subscription name; empty until deployed with deployEventSubscription=true.')
output phoneImportEventSubscriptionName string = deployEventSubscription ? phoneImportEvents!.outputs.name : ''

@description('Endpoint of the risk signals topic (empty until deployEventSubscription is true).')
output riskTopicEndpoint string = deployEventSubscription ? riskEvents!.outputs.topicEndpoint : ''
