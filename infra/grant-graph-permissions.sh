#!/usr/bin/env bash
# Grants the Microsoft Graph application permissions declared in infra/graph-permissions.json to the app's managed
# identity, for the capabilities you run. Idempotent: reads the identity's existing app role assignments and adds only
# the missing ones; reports (never removes) Graph permissions it holds that are not declared.
#
# Why a script and not the Microsoft Graph Bicep extension (Microsoft.Graph/appRoleAssignedTo): the extension is
# downloaded from a container registry when the template is built, which this project's CI cannot reach, so main.bicep
# could no longer be built and linted in CI. Granting app roles also needs a Graph admin role (Privileged Role
# Administrator or Global Administrator) that the identity deploying the resource group usually does not hold.
#
# Requires: az (signed in as an admin who may grant app roles), jq.
# Usage:
#   infra/grant-graph-permissions.sh --identity-name NAME --resource-group RG [options]
#   infra/grant-graph-permissions.sh --principal-id OBJECT_ID [options]
# Options:
#   --capabilities a,b   groupSync, phoneImport, health (default: all of them)
#   --sms-signin-group   also the permissions needed when SMS_SIGNIN_GROUP_ID is set
#   --graph-url URL      Graph root for national clouds (default https://graph.microsoft.com)
#   --dry-run            print what would be granted, change nothing
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="${GRAPH_PERMISSIONS_FILE:-$HERE/graph-permissions.json}"
GRAPH_URL="https://graph.microsoft.com"
CAPABILITIES=""
PRINCIPAL_ID=""
IDENTITY_NAME=""
RESOURCE_GROUP=""
WITH_SMS_GROUP=false
DRY_RUN=false

die() { printf 'grant-graph-permissions: ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
usage() { sed -n '11,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --principal-id) PRINCIPAL_ID="${2:-}"; shift 2 ;;
    --identity-name) IDENTITY_NAME="${2:-}"; shift 2 ;;
    --resource-group) RESOURCE_GROUP="${2:-}"; shift 2 ;;
    --capabilities) CAPABILITIES="${2:-}"; shift 2 ;;
    --sms-signin-group) WITH_SMS_GROUP=true; shift ;;
    --graph-url) GRAPH_URL="${2:-}"; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    -h|--help) usage ;;
    *) printf 'grant-graph-permissions: unknown argument: %s\n' "$1" >&2; usage ;;
  esac
done

command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is required"
command -v jq >/dev/null 2>&1 || die "jq is required"
[[ -r "$MANIFEST" ]] || die "cannot read $MANIFEST"
GRAPH_URL="${GRAPH_URL%/}"
[[ "$GRAPH_URL" =~ ^https?://[^/]+$ ]] || die "--graph-url must be a scheme and host such as https://graph.microsoft.com"

GUID_RE='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
if [[ -z "$PRINCIPAL_ID" ]]; then
  [[ -n "$IDENTITY_NAME" && -n "$RESOURCE_GROUP" ]] || die "give --principal-id, or --identity-name and --resource-group"
  PRINCIPAL_ID="$(az identity show --name "$IDENTITY_NAME" --resource-group "$RESOURCE_GROUP" --query principalId --output tsv)" \
    || die "cannot read the managed identity $IDENTITY_NAME in $RESOURCE_GROUP"
fi
[[ "$PRINCIPAL_ID" =~ $GUID_RE ]] || die "principal id '$PRINCIPAL_ID' is not an object id (GUID)"

KNOWN_CAPABILITIES="$(jq -r '.capabilities | keys | join(",")' "$MANIFEST")"
[[ -n "$CAPABILITIES" ]] || CAPABILITIES="$KNOWN_CAPABILITIES"
CAPS_JSON="$(jq -cn --arg caps "$CAPABILITIES" '$caps | split(",") | map(gsub("^\\s+|\\s+$"; "")) | map(select(. != ""))')"
UNKNOWN="$(jq -r --argjson caps "$CAPS_JSON" '[$caps[] as $c | select(.capabilities[$c] == null) | $c] | join(",")' "$MANIFEST")"
[[ -z "$UNKNOWN" ]] || die "unknown capability: $UNKNOWN (known: $KNOWN_CAPABILITIES)"

# The wanted permission names, deduplicated; `onlyWith` entries only when their setting is in use.
WANTED="$(jq -r --argjson caps "$CAPS_JSON" --argjson sms "$WITH_SMS_GROUP" '
  [ $caps[] as $c | .capabilities[$c].permissions[]
    | select((.onlyWith // "") == "" or ($sms and .onlyWith == "SMS_SIGNIN_GROUP_ID"))
    | .name ] | unique | .[]' "$MANIFEST")"
RESOURCE_APP_ID="$(jq -r '.resourceAppId' "$MANIFEST")"

graph_get() { az rest --method get --resource "$GRAPH_URL" --url "$1" --output json; }

# Microsoft Graph's service principal in this tenant, with its app roles (the permission ids differ by name only).
GRAPH_SP="$(graph_get "$GRAPH_URL/v1.0/servicePrincipals(appId='$RESOURCE_APP_ID')?\$select=id,appRoles")" \
  || die "cannot read the Microsoft Graph service principal (signed in with 'az login'?)"
GRAPH_SP_ID="$(jq -r '.id' <<<"$GRAPH_SP")"
[[ "$GRAPH_SP_ID" =~ $GUID_RE ]] || die "unexpected answer for the Microsoft Graph service principal"

# Existing assignments of the identity, all pages.
ASSIGNED='[]'
NEXT="$GRAPH_URL/v1.0/servicePrincipals/$PRINCIPAL_ID/appRoleAssignments"
while [[ -n "$NEXT" ]]; do
  PAGE="$(graph_get "$NEXT")" || die "cannot read the app role assignments of $PRINCIPAL_ID (is it the identity's principal id?)"
  ASSIGNED="$(jq -c --argjson acc "$ASSIGNED" '$acc + (.value // [])' <<<"$PAGE")"
  NEXT="$(jq -r '."@odata.nextLink" // ""' <<<"$PAGE")"
done
HELD_ROLE_IDS="$(jq -c --arg sp "$GRAPH_SP_ID" '[.[] | select(.resourceId == $sp) | .appRoleId]' <<<"$ASSIGNED")"

say "Identity $PRINCIPAL_ID, capabilities: $(jq -r 'join(", ")' <<<"$CAPS_JSON")$($WITH_SMS_GROUP && printf ' (+ SMS sign-in group)')$($DRY_RUN && printf ' [dry run]')"

# One line per wanted permission: name, app role id ("" when Graph has no such application permission), held or not.
PLAN="$(jq -r --arg wanted "$WANTED" --argjson held "$HELD_ROLE_IDS" '
  .appRoles as $roles
  | $wanted | split("\n")[] | select(. != "") as $n
  | ([$roles[] | select(.value == $n and any(.allowedMemberTypes[]?; . == "Application"))][0].id // "") as $id
  | [$n, $id, (if $id != "" and any($held[]; . == $id) then "held" else "missing" end)] | @tsv' <<<"$GRAPH_SP")"

MISSING=0
GRANTED=0
while IFS=$'\t' read -r NAME ROLE_ID STATE; do
  [[ -n "$NAME" ]] || continue
  [[ -n "$ROLE_ID" ]] || die "Microsoft Graph has no application permission named $NAME in this tenant"
  [[ "$ROLE_ID" =~ $GUID_RE ]] || die "unexpected app role id for $NAME: $ROLE_ID"
  if [[ "$STATE" == held ]]; then
    say "  present   $NAME"
  elif $DRY_RUN; then
    say "  missing   $NAME (would grant)"
    MISSING=$((MISSING + 1))
  else
    # An immediate re-run can meet an assignment the list call does not show yet (replication): Graph then answers
    # "Permission being assigned already exists on the object", which means the permission is there.
    if ERR="$(az rest --method post --resource "$GRAPH_URL" --url "$GRAPH_URL/v1.0/servicePrincipals/$PRINCIPAL_ID/appRoleAssignments" \
      --headers 'Content-Type=application/json' \
      --body "{\"principalId\":\"$PRINCIPAL_ID\",\"resourceId\":\"$GRAPH_SP_ID\",\"appRoleId\":\"$ROLE_ID\"}" --output none 2>&1)"; then
      say "  granted   $NAME"
      GRANTED=$((GRANTED + 1))
    elif grep -qi 'already exists' <<<"$ERR"; then
      say "  present   $NAME (already assigned; not yet listed)"
    else
      printf '%s\n' "$ERR" >&2
      die "granting $NAME failed (the signed-in account needs Privileged Role Administrator or Global Administrator)"
    fi
  fi
done <<<"$PLAN"

# Drift: Graph permissions the identity holds that no capability of the manifest declares.
ALL_DECLARED="$(jq -c '[.capabilities[].permissions[].name] | unique' "$MANIFEST")"
UNDECLARED="$(jq -r --argjson held "$HELD_ROLE_IDS" --argjson declared "$ALL_DECLARED" \
  '[.appRoles[] | select(.id as $id | any($held[]; . == $id)) | .value | select(. as $v | any($declared[]; . == $v) | not)] | .[]' <<<"$GRAPH_SP")"
while IFS= read -r NAME; do
  if [[ -n "$NAME" ]]; then
    say "  undeclared $NAME (held but not in $(basename "$MANIFEST"); remove it by hand if it is not needed)"
  fi
done <<<"$UNDECLARED"

if $DRY_RUN; then
  say "Dry run: $MISSING permission(s) would be granted."
else
  say "Done: $GRANTED permission(s) granted."
fi
