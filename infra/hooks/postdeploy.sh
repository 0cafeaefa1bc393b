#!/usr/bin/env bash
# azd postdeploy hook: the second half of the deployment that needs the published code.
# 1. The Event Grid subscription for phone-import blobs: its webhook validates against the running phoneImportBlob
#    function, so it is created by a second deployment of the same template with deployEventSubscription=true.
# 2. The Graph application permissions of the app's identity (infra/grant-graph-permissions.sh). Granting needs
#    Privileged Role Administrator or Global Administrator; without it the exact command to hand over is printed.
set -Eeuo pipefail
cd "$(dirname "$0")/../.."

: "${AZURE_RESOURCE_GROUP:?azd sets AZURE_RESOURCE_GROUP}"
: "${AZURE_ENV_NAME:?azd sets AZURE_ENV_NAME}"
: "${identityPrincipalId:?the deployment output identityPrincipalId is missing}"

echo "postdeploy: creating the Event Grid subscription for phone-import blobs"
az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "entra-ops-events-$AZURE_ENV_NAME" \
  --template-file infra/main.bicep \
  --parameters infra/main.parameters.json \
  --parameters environmentName="$AZURE_ENV_NAME" deployEventSubscription=true \
  --output none

grant=(bash infra/grant-graph-permissions.sh --principal-id "$identityPrincipalId")
echo "postdeploy: granting Microsoft Graph permissions to the app's identity"
if ! "${grant[@]}"; then
  echo "postdeploy: the signed-in account could not grant Graph permissions. Ask a Privileged Role Administrator to run:" >&2
  printf '  %q' "${grant[@]}" >&2
  printf '\n' >&2
fi
