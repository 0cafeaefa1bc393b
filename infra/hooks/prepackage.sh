#!/usr/bin/env bash
# azd prepackage hook: compile (tsc + the console bundle), then drop dev dependencies so the published package is
# small (Flex Consumption cold starts grow with package size). azd zips the project folder after this; a local
# `npm ci` restores the dev dependencies afterwards.
set -Eeuo pipefail
cd "$(dirname "$0")/../.."
npm ci --no-audit --no-fund
npm run build
npm prune --omit=dev --no-audit --no-fund
echo "prepackage: built dist/ and pruned dev dependencies ($(du -sh node_modules | cut -f1) node_modules)"
