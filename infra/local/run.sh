#!/usr/bin/env bash
# Run the whole Lifeline system locally:
#   emulators (DynamoDB Local 127.0.0.1:8000, moto 127.0.0.1:4566) -> SES identity and
#   schedule group -> cargo build (debug) -> table + demo data (seed.sh) -> the local
#   runner (lifeline-local) on 127.0.0.1:3000, in the foreground.
# Ctrl-C stops the runner and the emulators this script started.
# `--sip`: also Kamailio with Lifeline's SIP configuration (infra/sip) on 127.0.0.1:5060
# (UDP), pointed at the runner; it needs Debian's kamailio* and sip-tester packages.
# Writes infra/local/env.sh (git-ignored, mode 0600) once the runner answers: `source
# infra/local/env.sh` in another terminal gives it this system's environment (endpoints,
# region, dummy credentials, table, webhook secret, runner URL, and the runner's token
# LIFELINE_LOCAL_TOKEN, new at each start, which /_local/* and Lambda's Invoke path
# require) and puts the admin CLI on PATH as `lifeline`.
# Env (defaults): LIFELINE_TABLE (lifeline), LIFELINE_WEBHOOK_SECRET (local-secret),
#   LIFELINE_OUTSIDE_LINE_PREFIX (9; set it empty for none), LIFELINE_LISTEN (127.0.0.1:3000),
#   LIFELINE_NOTIFY_FROM (lifeline@example.com), LIFELINE_SCHEDULE_GROUP (lifeline),
#   LIFELINE_FALLBACK_RECIPIENTS (security-desk@example.com; set it empty for none),
#   LIFELINE_TWILIO_CALLER_ID (+14255550105; set it empty for the agent profile's number),
#   AWS_* as in infra/local/emulators.sh (unset ones point at the local emulators).
set -euo pipefail

WITH_SIP=""
for arg in "$@"; do
  case "$arg" in
    --sip) WITH_SIP=1 ;;
    *)
      echo "usage: infra/local/run.sh [--sip]" >&2
      exit 2
      ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source-path=SCRIPTDIR source=emulators.sh
source infra/local/emulators.sh

export LIFELINE_TABLE="${LIFELINE_TABLE:-lifeline}"
export LIFELINE_WEBHOOK_SECRET="${LIFELINE_WEBHOOK_SECRET:-local-secret}"
export LIFELINE_OUTSIDE_LINE_PREFIX="${LIFELINE_OUTSIDE_LINE_PREFIX-9}"
export LIFELINE_LISTEN="${LIFELINE_LISTEN:-127.0.0.1:3000}"
# Each alert's acknowledgement link points at this runner.
export LIFELINE_ACK_BASE_URL="${LIFELINE_ACK_BASE_URL-http://${LIFELINE_LISTEN}}"
export LIFELINE_NOTIFY_FROM="${LIFELINE_NOTIFY_FROM:-lifeline@example.com}"
export LIFELINE_SCHEDULE_GROUP="${LIFELINE_SCHEDULE_GROUP:-lifeline}"
# The security desk: gets the e-mail when an agent's own recipients cannot be used.
export LIFELINE_FALLBACK_RECIPIENTS="${LIFELINE_FALLBACK_RECIPIENTS-security-desk@example.com}"
# Twilio: the caller ID of a dial whose request carries no CallerId (a made-up main line;
# set it empty to have the adapter take the agent profile's own number instead).
export LIFELINE_TWILIO_CALLER_ID="${LIFELINE_TWILIO_CALLER_ID-+14255550105}"
BASE_URL="http://$LIFELINE_LISTEN"

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET_DIR" == /* ]] || TARGET_DIR="$LL_REPO_ROOT/$TARGET_DIR"
CLI="$TARGET_DIR/debug/lifeline"
RUNNER="$TARGET_DIR/debug/lifeline-local"

RUNNER_PID=""
# The runner writes its token here (a folder of this script's own), then run.sh moves
# it into env.sh.
TOKEN_DIR=""
LOCAL_TOKEN=""
SIP_PID=""
STOP_SIGNAL=""
ENV_FILE="$LL_LOCAL_DIR/env.sh"

say() { printf '\n==> %s\n' "$*"; }

# infra/local/env.sh: what another terminal needs to reach this system (the admin CLI,
# sign-curl.sh, invoke.sh): the values this script exports, and `lifeline` on PATH
# (a link to the CLI it built, alone in a folder of its own). Written whole, then moved
# into place; readable by its owner only (it holds the webhook secret and the runner's
# token).
write_env_file() {
  local bin_dir="$LL_CACHE_DIR/bin" tmp v
  mkdir -p "$bin_dir"
  ln -sfn "$CLI" "$bin_dir/lifeline"
  tmp="$(mktemp "$ENV_FILE.XXXXXX")"
  {
    printf '# Written by infra/local/run.sh at %s: the environment of the local Lifeline\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '# it runs (%s). In another terminal: source infra/local/env.sh\n' "$BASE_URL"
    printf '# Then `lifeline ...` (the admin CLI), infra/local/sign-curl.sh and invoke.sh reach it.\n'
    # An SDK told to ignore endpoint variables would go to AWS instead.
    printf 'unset AWS_IGNORE_CONFIGURED_ENDPOINT_URLS\n'
    ll_print_env
    for v in LIFELINE_TABLE LIFELINE_WEBHOOK_SECRET LIFELINE_NOTIFY_FROM LIFELINE_SCHEDULE_GROUP \
      LIFELINE_CONSOLE_URL LIFELINE_CONSOLE_ADMIN LIFELINE_CONSOLE_DESK; do
      printf 'export %s=%q\n' "$v" "${!v}"
    done
    printf 'export LIFELINE_URL=%q\n' "$BASE_URL"
    # invoke.sh, sign-curl.sh and curl send it to /_local/* as X-Lifeline-Local-Token.
    printf 'export LIFELINE_LOCAL_TOKEN=%q\n' "$LOCAL_TOKEN"
    # `lifeline dlq`: this system's failure queues (stage `local`), and replays
    # through the runner's Lambda Invoke API; an AWS SDK sends no header of ours,
    # so the token travels in the endpoint's path.
    printf 'export LIFELINE_STAGE=local\n'
    printf 'export AWS_ENDPOINT_URL_LAMBDA=%q\n' "$BASE_URL/_local/sdk/$LOCAL_TOKEN"
    # shellcheck disable=SC2016 # $PATH is expanded where env.sh is sourced
    printf 'case ":$PATH:" in *:%q:*) ;; *) export PATH=%q:"$PATH" ;; esac\n' "$bin_dir" "$bin_dir"
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# shellcheck disable=SC2317 # called from traps
cleanup() {
  local rc=$?
  if [[ -n "$SIP_PID" ]]; then
    # Kamailio and its workers: the whole process group kamailio.sh leads.
    kill -s TERM -- "-$SIP_PID" 2>/dev/null || true
  fi
  # The proxy's data folder this script made (the exported pool, the secret).
  if [[ -n "${SIP_DATA_DIR:-}" && "$SIP_DATA_DIR" == */lifeline-sip-data.* ]]; then
    rm -rf "$SIP_DATA_DIR"
  fi
  if [[ -n "$RUNNER_PID" ]]; then
    ll_stop_pid "$RUNNER_PID" "lifeline-local" 10
  fi
  if [[ -n "$TOKEN_DIR" && "$TOKEN_DIR" == */lifeline-local-token.* ]]; then
    rm -rf "$TOKEN_DIR"
  fi
  ll_stop_started
  return "$rc"
}

# Until the runner is up, INT/TERM just exit (the EXIT trap cleans up); after that they
# are forwarded to the runner, and the script exits when it has.
# shellcheck disable=SC2317 # called from traps
on_signal() {
  local sig="$1"
  if [[ -n "$RUNNER_PID" ]] && ll_pid_alive "$RUNNER_PID"; then
    STOP_SIGNAL="$sig"
    kill -s "$sig" "$RUNNER_PID" 2>/dev/null || true
  elif [[ "$sig" == INT ]]; then
    exit 130
  else
    exit 143
  fi
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

if [[ -n "$WITH_SIP" ]]; then
  sip_missing=()
  command -v kamailio >/dev/null || sip_missing+=(kamailio kamailio-utils-modules kamailio-extra-modules kamailio-tls-modules)
  command -v sipp >/dev/null || sip_missing+=(sip-tester)
  if ((${#sip_missing[@]})); then
    echo "run.sh --sip needs: apt-get install --no-install-recommends ${sip_missing[*]}" >&2
    exit 3
  fi
fi

say "emulators"
ll_install_dynamodb_local
ll_install_moto
ll_start_dynamodb
ll_start_moto
ll_export_local_env
ll_create_local_resources

say "the console's user pool (moto's Cognito) and its demo users"
console_env="$("$LL_VENV_DIR/bin/python" "$LL_LOCAL_DIR/console_pool.py")"
eval "$console_env"
export LIFELINE_CONSOLE_ISSUER LIFELINE_CONSOLE_CLIENT_ID LIFELINE_CONSOLE_JWKS_URL
LIFELINE_CONSOLE_URL="$BASE_URL/console/"

say "cargo build -p lifeline-cli -p lifeline-local"
cargo build -p lifeline-cli -p lifeline-local

say "table $LIFELINE_TABLE and demo data"
LIFELINE_CLI="$CLI" infra/local/seed.sh

say "starting lifeline-local on $LIFELINE_LISTEN"
TOKEN_DIR="$(mktemp -d -t lifeline-local-token.XXXXXX)"
"$RUNNER" --token-file "$TOKEN_DIR/token" &
RUNNER_PID=$!

deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null --noproxy '*' --max-time 2 "$BASE_URL/_local/health" 2>/dev/null; do
  if ! ll_pid_alive "$RUNNER_PID"; then
    rc=0
    wait "$RUNNER_PID" || rc=$?
    RUNNER_PID=""
    echo "lifeline-local exited (status $rc) before $BASE_URL/_local/health answered" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "lifeline-local: $BASE_URL/_local/health did not answer 200 within 60s" >&2
    exit 1
  fi
  if [[ -n "$STOP_SIGNAL" ]]; then
    break
  fi
  sleep 0.25
done

# The runner wrote its token before it listened; env.sh now hands it on.
if [[ -z "$STOP_SIGNAL" ]]; then
  LOCAL_TOKEN="$(<"$TOKEN_DIR/token")"
  rm -rf "$TOKEN_DIR"
  TOKEN_DIR=""
  write_env_file
fi

if [[ -n "$WITH_SIP" && -z "$STOP_SIGNAL" ]]; then
  say "starting Kamailio on 127.0.0.1:5060 (infra/sip)"
  # The proxy's data folder: the pool numbers it must know when Lifeline
  # cannot answer (re-read within 5 s when re-exported).
  SIP_DATA_DIR="$(mktemp -d -t lifeline-sip-data.XXXXXX)"
  export SIP_DATA_DIR
  "$CLI" pool export --format kamailio --out "$SIP_DATA_DIR/pool"
  LIFELINE_URL="$BASE_URL" setsid bash infra/sip/kamailio.sh &
  SIP_PID=$!
  sleep 1
  if ! ll_pid_alive "$SIP_PID"; then
    SIP_PID=""
    echo "Kamailio did not start (see its output above)" >&2
    exit 1
  fi
fi

now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
body='{"callId":"demo-1","agentId":"a-42","dialed":"'"${LIFELINE_OUTSIDE_LINE_PREFIX:+$LIFELINE_OUTSIDE_LINE_PREFIX }"'911","from":"+14255550100","location":{"country":"US","address":"1 Main St, Redmond WA","lat":47.6,"lon":-122.1},"timestamp":"'"$now"'"}'

if [[ -z "$STOP_SIGNAL" ]]; then
  cat <<EOF

================================================================================
Lifeline is running on $BASE_URL
  table $LIFELINE_TABLE on $AWS_ENDPOINT_URL_DYNAMODB; SES v2 + Scheduler on $AWS_ENDPOINT_URL
  webhook secret: LIFELINE_WEBHOOK_SECRET in infra/local/env.sh (owner-only)   outside-line prefix: '${LIFELINE_OUTSIDE_LINE_PREFIX}'
  fallback e-mail recipients (security desk): '${LIFELINE_FALLBACK_RECIPIENTS}'

The console (a browser on this machine): $LIFELINE_CONSOLE_URL
  admin (every page):          ${LIFELINE_CONSOLE_ADMIN/:/  password }
  security desk (the board):   ${LIFELINE_CONSOLE_DESK/:/  password }
  (LIFELINE_CONSOLE_URL, LIFELINE_CONSOLE_ADMIN, LIFELINE_CONSOLE_DESK in infra/local/env.sh)

The admin CLI in another terminal, one step first (from the repository root):
  source infra/local/env.sh       # this system's endpoints, table, secret, runner token; \`lifeline\` on PATH
  lifeline pool list --country US

An emergency dial, signed (from the repository root):
  infra/local/sign-curl.sh /calls/outbound '$body'

The same by hand (the secret from env.sh; openssl shows it to \`ps\` while it runs):
  source infra/local/env.sh
  t=\$(date +%s)
  body='$body'
  sig=\$(printf '%s.%s.%s.%s' "\$t" POST /calls/outbound "\$body" | openssl dgst -sha256 -hmac "\$LIFELINE_WEBHOOK_SECRET" -hex | sed 's/^.* //')
  curl -sS -X POST $BASE_URL/calls/outbound -H 'Content-Type: application/json' -H "X-Lifeline-Signature: t=\$t,v2=\$sig" --data-binary "\$body"

Any function on a raw Lambda event (every file in events/ works):
  infra/local/invoke.sh connect-adapter events/connect-outbound-whisper.json
  infra/local/invoke.sh twilio-adapter events/twilio-outbound.json
Twilio webhooks: $BASE_URL/twilio/outbound|inbound|status (auth token local-twilio-token)

Advance the local clock by 61 minutes (/_local/* needs the runner's token, in env.sh):
  infra/local/sign-curl.sh /_local/clock '{"advanceMinutes":61}'
  curl -X POST $BASE_URL/_local/clock -H "X-Lifeline-Local-Token: \$LIFELINE_LOCAL_TOKEN" -d '{"advanceMinutes":61}'

E-mails "sent" through SES (moto):
  curl -s $AWS_ENDPOINT_URL/moto-api/data.json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["ses"]["Message"], indent=2))'

${WITH_SIP:+SIP: Kamailio on udp:127.0.0.1:5060; emergency gateways sip:127.0.0.1:5080 then :5084,
ordinary outbound route :5081, last resort :5082, ordinary inbound route (the ACD) :5083;
the pool for the proxy in ${SIP_DATA_DIR:-}/pool (see infra/sip/README.md). With a SIPp
gateway listening on 5080, a-42 dials 9 911:
  sipp 127.0.0.1:5060 -sf infra/sip/scenarios/agent-dials.xml -i 127.0.0.1 -p 5070 -m 1 -s 9911 -key agent a-42
}
Ctrl-C stops the runner and the emulators.
================================================================================

EOF
fi

# Wait for the runner. A trapped INT/TERM interrupts `wait`; the handler has forwarded it,
# and the runner gets 10 s to exit before SIGTERM (and 5 s later SIGKILL).
rc=0
while kill -0 "$RUNNER_PID" 2>/dev/null; do # true until reaped
  if [[ -n "$STOP_SIGNAL" ]]; then
    deadline=$((SECONDS + 10))
    while ll_pid_alive "$RUNNER_PID" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    ll_stop_pid "$RUNNER_PID" "lifeline-local" 5
    break
  fi
  rc=0
  wait "$RUNNER_PID" || rc=$?
done
RUNNER_PID=""
case "$STOP_SIGNAL" in
  INT) exit 130 ;;
  TERM) exit 143 ;;
esac
echo "lifeline-local exited with status $rc" >&2
exit "$rc"
