#!/usr/bin/env bash
# Invoke one Lifeline function with a raw Lambda event on the local runner:
# the Docker-free `sam local invoke`. Prints the function's output (JSON);
# a function error is printed as the runtime reports it and exits 1.
#   infra/local/invoke.sh FUNCTION EVENT.json [--as-is]
#   infra/local/invoke.sh dial-intake events/dial-intake.json
#   infra/local/invoke.sh ConnectAdapterFunction events/connect-outbound-whisper.json
#   cat event.json | infra/local/invoke.sh notifier -
# FUNCTION: a function's name (its crate, as lifeline_edge::registry lists them:
#   dial-intake, notifier, ...; an unknown name is answered with the list), its
#   logical id in template.yaml (DialIntakeFunction, ...), a deployed name or an ARN.
# A webhook event's signature is made afresh by the runner (the samples were signed
# at their own moment, long outside the 5-minute window); --as-is sends it untouched.
# Env: LIFELINE_LOCAL_TOKEN (the runner's token for /_local/*, made at each start:
#        `source infra/local/env.sh` sets it),
#      LIFELINE_URL (default http://$LIFELINE_LISTEN, LIFELINE_LISTEN default 127.0.0.1:3000).
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
(($# >= 2)) || usage
function="$1"
event="$2"
query="?resign=true"
case "${3:-}" in
  "") ;;
  --as-is) query="" ;;
  *) usage ;;
esac
if [[ "$event" != - && ! -f "$event" ]]; then
  echo "invoke.sh: no event file $event" >&2
  exit 2
fi
base="${LIFELINE_URL:-http://${LIFELINE_LISTEN:-127.0.0.1:3000}}"
if [[ -z "${LIFELINE_LOCAL_TOKEN:-}" ]]; then
  echo "invoke.sh: LIFELINE_LOCAL_TOKEN is not set (source infra/local/env.sh: run.sh writes it)" >&2
  exit 2
fi

headers="$(mktemp)"
trap 'rm -f "$headers"' EXIT
status=0
# The token from a file descriptor, not the command line (which `ps` shows).
out="$(curl -sS --max-time 60 -D "$headers" -X POST -H 'content-type: application/json' \
  -H @<(printf 'X-Lifeline-Local-Token: %s\n' "$LIFELINE_LOCAL_TOKEN") \
  --data-binary "@$event" "$base/_local/invoke/$function$query")" || {
  echo "invoke.sh: the local runner does not answer at $base (start it: ./infra/local/run.sh)" >&2
  exit 2
}
code="$(awk 'NR==1 {print $2}' "$headers")"
if command -v python3 >/dev/null; then
  printf '%s' "$out" | python3 -m json.tool 2>/dev/null || printf '%s\n' "$out"
else
  printf '%s\n' "$out"
fi
if [[ "$code" == 401 ]]; then
  echo "invoke.sh: the runner refused LIFELINE_LOCAL_TOKEN (it changes at each start: source infra/local/env.sh again)" >&2
  status=2
elif [[ "$code" != 200 ]]; then
  status=2
elif grep -qi '^x-amz-function-error:' "$headers"; then
  status=1
fi
exit "$status"
