#!/usr/bin/env bash
# Runs Kamailio with Lifeline's reference configuration (infra/sip/kamailio.cfg)
# in the foreground, logging to stderr; Ctrl-C or SIGTERM stops it.
# Env (defaults, the local system's):
#   LIFELINE_URL (http://127.0.0.1:3000)       the Lifeline webhooks
#   LIFELINE_WEBHOOK_SECRET (local-secret)     their HMAC secret
#   SIP_LISTEN (udp:127.0.0.1:5060)            where agents and the trunk reach the proxy
#   EMERGENCY_GATEWAY (sip:127.0.0.1:5080)     the PSAP / ESRP / carrier emergency trunk
#   ORDINARY_ROUTE (sip:127.0.0.1:5081)        ordinary outbound calls
#   LAST_RESORT (sip:127.0.0.1:5082)           a callback nobody else answered
#   RING_SECONDS (10)                          ring time per callback target
#   SIP_RUN_DIR (a new temporary folder)       pid file and runtime files
#   SIP_NO_LIFELINE (unset)                    1: never ask Lifeline (the proxy alone, for benchmarks)
# Exits 3, naming the apt-get line, when Kamailio or its modules are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
packages="kamailio kamailio-utils-modules kamailio-extra-modules kamailio-tls-modules"
modules_dir=""
for d in /usr/lib/x86_64-linux-gnu/kamailio/modules /usr/lib/aarch64-linux-gnu/kamailio/modules \
  /usr/lib/kamailio/modules /usr/local/lib64/kamailio/modules /usr/local/lib/kamailio/modules; do
  [[ -d "$d" ]] && modules_dir="$d" && break
done
missing=""
command -v kamailio >/dev/null || missing="kamailio"
for m in http_client jansson crypto; do
  [[ -n "$modules_dir" && -f "$modules_dir/$m.so" ]] || missing="$missing $m"
done
if [[ -n "$missing" ]]; then
  echo "kamailio.sh: missing:$missing. Install: apt-get install --no-install-recommends $packages" >&2
  exit 3
fi

run_dir="${SIP_RUN_DIR:-$(mktemp -d -t lifeline-sip.XXXXXX)}"
extra=()
[[ "${SIP_NO_LIFELINE:-}" == 1 ]] && extra+=(-A NO_LIFELINE)
mkdir -p "$run_dir"
exec kamailio -f "$here/kamailio.cfg" -DD -E -m 64 -M 8 \
  -P "$run_dir/kamailio.pid" -Y "$run_dir" \
  -A "LISTEN=${SIP_LISTEN:-udp:127.0.0.1:5060}" \
  -A "LIFELINE_URL=\"${LIFELINE_URL:-http://127.0.0.1:3000}\"" \
  -A "LIFELINE_SECRET=\"${LIFELINE_WEBHOOK_SECRET:-local-secret}\"" \
  -A "EMERGENCY_GATEWAY=\"${EMERGENCY_GATEWAY:-sip:127.0.0.1:5080}\"" \
  -A "ORDINARY_ROUTE=\"${ORDINARY_ROUTE:-sip:127.0.0.1:5081}\"" \
  -A "LAST_RESORT=\"${LAST_RESORT:-sip:127.0.0.1:5082}\"" \
  -A "RING_SECONDS=${RING_SECONDS:-10}" "${extra[@]}"
