// The failover control plane, deployed by `azd up`.
//
// targetScope is the subscription because one deployment spans three resource groups: it creates the
// control plane's own group in the SECONDARY region (it must outlive the primary), deploys the health-check
// Logic App into the primary workflow group, and grants least-privilege roles in each workflow group, which
// may sit in other subscriptions. Nothing is assigned at subscription scope: see rbac.bicep.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@description('DR_PLAN_PATH: the plan file inside the app package, relative to the app root (written by npm run package).')
param planPath string = 'plan/plan.json'

@description('Where the control plane acts, derived from the plan by the preprovision hook (base64 of JSON). The plan itself travels in the app package (npm run package writes it to planPath), not in a parameter: a large plan would not fit in one.')
param targetsBase64 string

@description('The plan file this deployment was made from (a tag, for operators).')
param planFile string = 'examples/plan.json'

@description('NCRONTAB schedule (with seconds) of the watchdog timer, derived from the plan\'s policy.probeInterval by the preprovision hook (src/start/watchdog-schedule.ts).')
param watchdogSchedule string

@description('Durable Functions task hub name: letters and digits, starting with a letter.')
param taskHubName string = 'drfailover'

@description('Deploy infra/healthcheck.bicep into the primary resource group (the plan names the workflow).')
param deployHealthCheck bool = true

@description('Grant roles in the workflow resource groups; false when another team deploys infra/rbac.bicep there.')
param assignWorkflowRoles bool = true

@description('Opt-in: a read-only role on each workflow resource group so the control plane lists workflows in pages (fewer ARM reads at scale) instead of one GET each. See docs/security.md.')
param listWorkflowsInResourceGroups bool = false

@description('Create the notification namespace the plan names; false when it already exists elsewhere.')
param createServiceBusNamespace bool = true

@description('Optional [{ name, uri }] the health check calls before answering Healthy.')
param healthCheckDependencies array = []

@description('Client id of the Entra app registration for App Service Authentication (docs/security.md); empty: off, and the API refuses x-ms-client-principal.')
param authClientId string = ''

@description('DR_REQUIRE_PRINCIPAL: refuse callers that present only a function key, at the platform and in the API. Empty (the default): true when authClientId is set, else false. "false" with authClientId keeps key-only callers as readers.')
@allowed(['', 'true', 'false'])
param requirePrincipal string = ''

@description('DR_KEY_IS_OPERATOR: let a caller with only a function key fail over, fail back, pause and resume. Off by default: a key alone may only read.')
param keyIsOperator bool = false

@description('Name of the control plane resource group; empty for rg-<environmentName>.')
param resourceGroupName string = ''

var targets = json(base64ToString(targetsBase64))
// The plan's id and regions (the hook's copy of them): the plan itself is in the app package.
var plan = targets.plan
// The control plane must outlive the primary, so it always runs in the plan's secondary region: taken from
// the plan, not from a parameter that could disagree with it (the hook refuses an AZURE_LOCATION that does).
var controlPlaneLocation = plan.secondary.location
var resourceToken = toLower(uniqueString(subscription().id, environmentName, controlPlaneLocation))
var tags = {
  'azd-env-name': environmentName
  'dr-plan-id': plan.id
  'dr-plan-file': planFile
}
var functionAppName = 'func-dr-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var serviceBus = targets.serviceBus
var healthCheckTarget = targets.healthCheck
// With an Entra app registration the API requires a signed-in principal unless told otherwise, so app roles
// decide; without one there is nobody to sign in, and a function key alone is a reader (see keyIsOperator).
var principalRequired = empty(requirePrincipal) ? !empty(authClientId) : requirePrincipal == 'true'

resource controlPlaneGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: controlPlaneLocation
  tags: tags
}

module identity './modules/identity.bicep' = {
  name: 'identity'
  scope: controlPlaneGroup
  params: {
    name: 'id-dr-${resourceToken}'
    location: controlPlaneLocation
    tags: tags
  }
}

module monitoring './modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: controlPlaneGroup
  params: {
    workspaceName: 'log-dr-${resourceToken}'
    applicationInsightsName: 'appi-dr-${resourceToken}'
    location: controlPlaneLocation
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module storage './modules/storage.bicep' = {
  name: 'storage'
  scope: controlPlaneGroup
  params: {
    name: 'stdr${resourceToken}'
    location: controlPlaneLocation
    tags: tags
    deploymentContainerName: deploymentContainerName
    identityPrincipalId: identity.outputs.principalId
  }
}

module notifications './modules/servicebus.bicep' = if (serviceBus.enabled && createServiceBusNamespace) {
  name: 'servicebus'
  scope: controlPlaneGroup
  params: {
    namespaceName: serviceBus.namespaceName
    location: controlPlaneLocation
    tags: tags
    entityKind: serviceBus.entityKind
    entityName: serviceBus.entityName
  }
}

module notificationRoles './rbac.bicep' = if (serviceBus.enabled && createServiceBusNamespace) {
  name: 'rbac-servicebus'
  scope: controlPlaneGroup
  dependsOn: [notifications]
  params: {
    principalId: identity.outputs.principalId
    serviceBusNamespaceName: serviceBus.namespaceName
    serviceBusEntityKind: serviceBus.entityKind
    serviceBusEntityName: serviceBus.entityName
  }
}

// A namespace that already exists (DR_CREATE_SERVICEBUS_NAMESPACE=false) lives in the resource group the hook
// was told (DR_SERVICEBUS_RESOURCE_GROUP): Data Sender is granted there, on the one entity.
module existingNotificationRoles './rbac.bicep' = if (serviceBus.enabled && !createServiceBusNamespace) {
  name: 'rbac-servicebus-${resourceToken}'
  scope: resourceGroup(serviceBus.subscriptionId, serviceBus.resourceGroup)
  params: {
    principalId: identity.outputs.principalId
    serviceBusNamespaceName: serviceBus.namespaceName
    serviceBusEntityKind: serviceBus.entityKind
    serviceBusEntityName: serviceBus.entityName
  }
}

module healthCheck './healthcheck.bicep' = if (deployHealthCheck && healthCheckTarget.enabled) {
  name: 'healthcheck-${resourceToken}'
  scope: resourceGroup(healthCheckTarget.subscriptionId, healthCheckTarget.resourceGroup)
  params: {
    name: healthCheckTarget.name
    location: plan.primary.location
    tags: tags
    regionLabel: 'primary'
    dependencyChecks: healthCheckDependencies
  }
}

// Custom roles first, one deployment per resource group, all finished before any assignment deployment starts
// (a role and its assignment in one deployment race: RoleDefinitionDoesNotExist). Then the assignments, in
// chunks the hook sized under ARM's 800 resources per deployment (targets.scopes: one or more per group).
module workflowRoleDefinitions './rbac.bicep' = [
  for (group, i) in targets.groups: if (assignWorkflowRoles) {
    name: 'rbac-roles-${resourceToken}-${i}'
    scope: resourceGroup(group.subscriptionId, group.resourceGroup)
    params: {
      principalId: identity.outputs.principalId
      workflowNames: group.workflows
      rewriteWorkflowNames: group.rewriteWorkflows
      standardSiteNames: group.sites
      healthCheckWorkflowNames: group.healthCheckWorkflows
      linkedResources: group.linked
      listWorkflows: listWorkflowsInResourceGroups
      assignRoles: false
    }
  }
]

module workflowRoles './rbac.bicep' = [
  for (target, i) in targets.scopes: if (assignWorkflowRoles) {
    name: 'rbac-workflows-${resourceToken}-${i}'
    scope: resourceGroup(target.subscriptionId, target.resourceGroup)
    dependsOn: [healthCheck, workflowRoleDefinitions]
    params: {
      principalId: identity.outputs.principalId
      workflowNames: target.workflows
      rewriteWorkflowNames: target.rewriteWorkflows
      standardSiteNames: target.sites
      healthCheckWorkflowNames: target.healthCheckWorkflows
      linkedResources: target.linked
      listWorkflows: listWorkflowsInResourceGroups && target.first
      defineRoles: false
    }
  }
]

// The app starts as soon as it exists: every role it needs (storage and telemetry come with their modules'
// outputs; ARM and Service Bus here) is assigned first, so its first calls are not refused.
module functionApp './modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: controlPlaneGroup
  dependsOn: [workflowRoles, notificationRoles, existingNotificationRoles]
  params: {
    name: functionAppName
    planName: 'plan-dr-${resourceToken}'
    location: controlPlaneLocation
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    authClientId: authClientId
    requirePrincipal: principalRequired
    appSettings: {
      DR_PLAN_PATH: planPath
      DR_WATCHDOG_SCHEDULE: watchdogSchedule
      DR_TASK_HUB: taskHubName
      DR_REQUIRE_PRINCIPAL: principalRequired ? 'true' : 'false'
      DR_KEY_IS_OPERATOR: keyIsOperator ? 'true' : 'false'
    }
  }
}

output AZURE_LOCATION string = controlPlaneLocation
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = controlPlaneGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output DR_CONTROL_PLANE_PRINCIPAL_ID string = identity.outputs.principalId
output DR_CONTROL_PLANE_CLIENT_ID string = identity.outputs.clientId
// For operators (`azd env get-values`): the app itself reads the namespace from the plan, not from a setting.
output DR_SERVICEBUS_NAMESPACE string = serviceBus.enabled ? serviceBus.fullyQualifiedNamespace : ''
output DR_TASK_HUB string = taskHubName
// `.?` with `??`: the module is conditional, so its outputs may be null (BCP318) when it is not deployed.
output DR_HEALTHCHECK_WORKFLOW_ID string = healthCheck.?outputs.id ?? ''
