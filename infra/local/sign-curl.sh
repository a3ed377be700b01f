#!/usr/bin/env bash
# Send a signed request to the local Lifeline runner (POST unless METHOD is set).
#   infra/local/sign-curl.sh PATH BODY [extra curl args...]
#   METHOD=GET infra/local/sign-curl.sh /agents/a-42/presence ''   # a GET signs an empty body
#   METHOD=PUT infra/local/sign-curl.sh /agents/a-42/presence '{"status":"away"}'
#   infra/local/sign-curl.sh /calls/outbound '{"callId":"demo-1", ...}'
#   infra/local/sign-curl.sh /calls/outbound @event.json     # body from a file
#   ... | infra/local/sign-curl.sh /calls/outbound -         # body from stdin
# Signature header: X-Lifeline-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>")>
# (bound to the route: the method upper case, the path without its query string)
# The runner's own routes (/_local/*, Lambda's /2015-03-31/functions/...) also get
# X-Lifeline-Local-Token: $LIFELINE_LOCAL_TOKEN (`source infra/local/env.sh` sets it):
#   infra/local/sign-curl.sh /_local/clock '{"advanceMinutes":61}'
# Env: LIFELINE_WEBHOOK_SECRET (default local-secret), LIFELINE_LOCAL_TOKEN,
#      LIFELINE_URL (default http://$LIFELINE_LISTEN, LIFELINE_LISTEN default 127.0.0.1:3000).
set -euo pipefail

if (($# < 2)); then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

path="$1"
body="$2"
shift 2
case "$body" in
  -) body="$(cat)" ;;
  @*) body="$(cat -- "${body#@}")" ;;
esac
[[ "$path" == /* ]] || path="/$path"

secret="${LIFELINE_WEBHOOK_SECRET:-local-secret}"
base="${LIFELINE_URL:-http://${LIFELINE_LISTEN:-127.0.0.1:3000}}"

method="$(printf '%s' "${METHOD:-POST}" | tr '[:lower:]' '[:upper:]')"
t="$(date +%s)"
# The key through the environment of one process, not a command line (`ps`
# shows every argument to every local user; another user cannot read
# /proc/<pid>/environ).
sig="$(printf '%s.%s.%s.%s' "$t" "$method" "${path%%\?*}" "$body" |
  LL_HMAC_KEY="$secret" python3 -c 'import hashlib, hmac, os, sys
print(hmac.new(os.environ["LL_HMAC_KEY"].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())')"

data=()
[[ -z "$body" ]] || data=(--data-binary "$body")
# The token only to the runner's own routes, and from a file descriptor, not the
# command line (which `ps` shows); for any other route the "file" is empty.
own_route=""
case "$path" in
  /_local/* | /2015-03-31/functions/*) own_route=1 ;;
esac
if [[ -n "$own_route" && -z "${LIFELINE_LOCAL_TOKEN:-}" ]]; then
  echo "sign-curl.sh: $path needs LIFELINE_LOCAL_TOKEN (source infra/local/env.sh: run.sh writes it)" >&2
  exit 2
fi
token_header() {
  [[ -z "$own_route" ]] || printf 'X-Lifeline-Local-Token: %s\n' "$LIFELINE_LOCAL_TOKEN"
}
curl -sS -X "$method" "$base$path" \
  -H 'Content-Type: application/json' \
  -H "X-Lifeline-Signature: t=$t,v2=$sig" \
  -H @<(token_header) \
  "${data[@]}" \
  -w '\nHTTP %{http_code}\n' \
  "$@"
