#!/usr/bin/env bash
# Proves the README quick start: `npm start` brings up Azurite, the Graph sandbox and the local host, and
# GET /api/health answers 200 within 60 s; then Ctrl-C (SIGINT) shuts everything down cleanly.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
port="${ENTRA_OPS_PORT:-7071}"
log="$(mktemp)"
data_dir_existed=0; [ -d .azurite ] && data_dir_existed=1

setsid npm start >"$log" 2>&1 &
pid=$!
cleanup() { kill -INT -- "-$pid" 2>/dev/null || true; }
trap cleanup EXIT

deadline=$((SECONDS + 60))
status=""
until [ "$status" = "200" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "npm start exited early:" >&2; cat "$log" >&2; exit 1; fi
  if [ "$SECONDS" -ge "$deadline" ]; then echo "health did not answer 200 within 60 s:" >&2; cat "$log" >&2; exit 1; fi
  status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port}/api/health" || true)"
  [ "$status" = "200" ] || sleep 1
done
curl -s "http://127.0.0.1:${port}/api/health"; echo

kill -INT -- "-$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then echo "npm start did not stop on Ctrl-C within 30 s" >&2; cat "$log" >&2; exit 1; fi
trap - EXIT
[ "$data_dir_existed" = 1 ] || rm -rf .azurite
echo "quick start OK"
