#!/usr/bin/env bash
# Runs Kamailio with Lifeline's reference configuration (infra/sip/kamailio.cfg)
# in the foreground, logging to stderr; Ctrl-C or SIGTERM stops it.
# Env (defaults, the local system's):
#   LIFELINE_URL (http://127.0.0.1:3000)       the Lifeline webhooks
#   LIFELINE_WEBHOOK_SECRET_FILE               a file holding their HMAC secret, or
#   LIFELINE_WEBHOOK_SECRET (local-secret)     the secret itself; either way it reaches
#                                              Kamailio as a file only its user can read
#                                              (never on its command line)
#   SIP_LISTEN (udp:127.0.0.1:5060)            where agents and the trunk reach the proxy
#   EMERGENCY_GATEWAYS                         the emergency gateways, in order
#     (sip:127.0.0.1:5080 sip:127.0.0.1:5084)  (PSAP / ESRP / carrier emergency trunks)
#   ORDINARY_ROUTE (sip:127.0.0.1:5081)        ordinary outbound calls (the carrier trunk)
#   INBOUND_ROUTE (sip:127.0.0.1:5083)         ordinary inbound calls (the ACD)
#   LAST_RESORT (sip:127.0.0.1:5082)           a callback nobody else answered
#   RING_SECONDS (10)                          ring time per callback agent
#   LAST_RESORT_RING_SECONDS (60)              ring time of the last resort (3 tries)
#   GATEWAY_SILENCE_MS (3000)                  a gateway silent this long has failed
#   SITE_CALLER_ID (+14255550150)              presented for an unknown SIP user's emergency call
#   SIP_RUN_DIR (a new temporary folder)       pid file and runtime files
#   SIP_DATA_DIR (SIP_RUN_DIR/data)            the files Kamailio re-reads: `pool`
#                                              (`lifeline pool export --format kamailio`), `secret`
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
data_dir="${SIP_DATA_DIR:-$run_dir/data}"
mkdir -p "$run_dir" "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"

# The webhook secret, as a db_text table only this user can read.
if [[ -n "${LIFELINE_WEBHOOK_SECRET_FILE:-}" ]]; then
  secret="$(cat "$LIFELINE_WEBHOOK_SECRET_FILE")"
else
  secret="${LIFELINE_WEBHOOK_SECRET:-local-secret}"
fi
unset LIFELINE_WEBHOOK_SECRET
escaped="$(printf '%s' "$secret" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g')"
(
  umask 077
  printf 'key_name(str) key_type(int) value_type(int) key_value(str) expires(int)\nwebhook:0:0:%s:0\n' \
    "$escaped" >"$data_dir/secret.new"
  mv "$data_dir/secret.new" "$data_dir/secret"
)
unset secret escaped
# Lifeline's callback numbers: kept when an admin wrote them, else none yet.
if [[ ! -f "$data_dir/pool" ]]; then
  printf 'key_name(str) key_type(int) value_type(int) key_value(str) expires(int)\n' >"$data_dir/pool"
fi
# The emergency gateways, in order: a dispatcher list (set 1, the first the
# highest priority).
read -r -a gateways <<<"${EMERGENCY_GATEWAYS:-sip:127.0.0.1:5080 sip:127.0.0.1:5084}"
priority=${#gateways[@]}
: >"$run_dir/gateways.list"
for gw in "${gateways[@]}"; do
  echo "1 $gw 0 $priority" >>"$run_dir/gateways.list"
  priority=$((priority - 1))
done

extra=()
[[ "${SIP_NO_LIFELINE:-}" == 1 ]] && extra+=(-A NO_LIFELINE)
exec kamailio -f "$here/kamailio.cfg" -DD -E -m 64 -M 8 \
  -P "$run_dir/kamailio.pid" -Y "$run_dir" \
  -A "LISTEN=${SIP_LISTEN:-udp:127.0.0.1:5060}" \
  -A "LIFELINE_URL=\"${LIFELINE_URL:-http://127.0.0.1:3000}\"" \
  -A "DATA_URL=\"text://$data_dir\"" \
  -A "GATEWAYS_FILE=\"$run_dir/gateways.list\"" \
  -A "ORDINARY_ROUTE=\"${ORDINARY_ROUTE:-sip:127.0.0.1:5081}\"" \
  -A "INBOUND_ROUTE=\"${INBOUND_ROUTE:-sip:127.0.0.1:5083}\"" \
  -A "LAST_RESORT=\"${LAST_RESORT:-sip:127.0.0.1:5082}\"" \
  -A "SITE_CALLER_ID=\"${SITE_CALLER_ID:-+14255550150}\"" \
  -A "RING_SECONDS=${RING_SECONDS:-10}" \
  -A "LAST_RESORT_RING_SECONDS=${LAST_RESORT_RING_SECONDS:-60}" \
  -A "GATEWAY_SILENCE_MS=${GATEWAY_SILENCE_MS:-3000}" "${extra[@]}"
