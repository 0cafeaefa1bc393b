#!/usr/bin/env bash
# Installs the Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 with the .NET SDK and prints the
# absolute path of the `bicep` binary on stdout (and nothing else there; progress goes to stderr), so CI can do:
#   BICEP_BIN="$(bash .ci/bicep/install.sh)"; export BICEP_BIN
# Why NuGet: CI reaches only the Debian, npm and NuGet registries, so `az bicep install` (GitHub releases) cannot work.
# Idempotent: an existing, working binary of the pinned version is reused without touching the network.
# Environment: BICEP_VERSION (default 0.49.2), BICEP_INSTALL_DIR (default .ci/bicep/.tools, git-ignored).
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
PACKAGE_ID="Azure.Bicep.CommandLine.linux-x64"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INSTALL_DIR="${BICEP_INSTALL_DIR:-$HERE/.tools}"

log() { printf 'bicep-install: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'die "failed at line $LINENO (exit $?)"' ERR

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) die "only linux-x64 is supported by this installer (package $PACKAGE_ID); got $(uname -s)/$(uname -m)" ;;
esac
[[ "$BICEP_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "BICEP_VERSION must look like 0.49.2, got '$BICEP_VERSION'"

PACKAGES_DIR="$INSTALL_DIR/packages"
# NuGet lower-cases ids and versions in the global-packages layout.
BIN="$PACKAGES_DIR/${PACKAGE_ID,,}/$BICEP_VERSION/tools/bicep"

# The version line is "Bicep CLI version 0.49.2 (b34271ac51)".
is_working() { [[ -f "$BIN" ]] && chmod +x "$BIN" && "$BIN" --version 2>/dev/null | grep -Fq "version $BICEP_VERSION "; }

if is_working; then
  log "reusing $BIN"
  printf '%s\n' "$BIN"
  exit 0
fi

command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is required to restore $PACKAGE_ID from NuGet"

mkdir -p "$INSTALL_DIR"
WORK="$(mktemp -d "$INSTALL_DIR/restore.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
cp "$HERE/bicep.csproj" "$WORK/bicep.csproj"

log "restoring $PACKAGE_ID $BICEP_VERSION into $PACKAGES_DIR"
# Restore output goes to stderr so stdout stays the binary path. --packages keeps the package out of ~/.nuget/packages.
if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  dotnet restore "$WORK/bicep.csproj" --packages "$PACKAGES_DIR" -p:BicepVersion="$BICEP_VERSION" --nologo >&2; then
  die "dotnet restore of $PACKAGE_ID $BICEP_VERSION failed (is the NuGet registry reachable and the version served?)"
fi

[[ -f "$BIN" ]] || die "restore succeeded but $BIN is missing; the package layout may have changed"
chmod +x "$BIN"
is_working || die "$BIN does not report version $BICEP_VERSION: $("$BIN" --version 2>&1 || true)"
log "installed $("$BIN" --version)"
printf '%s\n' "$BIN"
