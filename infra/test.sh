#!/usr/bin/env bash
# Lifeline's one test command (CI runs it through .ci/run).
#
#   infra/test.sh            everything: rustfmt, the structure check (file sizes,
#                            module cycles), clippy (-D warnings) while the
#                            workspace compiles, template lint, the emergency-number
#                            table against its metadata, the local emulators (DynamoDB
#                            Local, moto), Kamailio and SIPp, then every test: unit,
#                            handler and end-to-end (LIFELINE_E2E=1).
#   infra/test.sh --quick    rustfmt, the structure check, clippy, unit and handler
#                            tests; no emulator, no
#                            end-to-end test (the inner loop).
#
# Works from any directory. Tests run under cargo-nextest (.config/nextest.toml: a
# process per test, several at once); extra arguments go to `cargo nextest run`, e.g.
#   infra/test.sh -p lifeline-domain
#   infra/test.sh -E 'test(/^spine::/)' --no-capture
# Without cargo-nextest (and no way to install it) they run under `cargo test`.
# Environment: anything set in AWS_ENDPOINT_URL* / AWS_REGION / AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY is kept (e.g. to use LocalStack); emulators already answering
# on 127.0.0.1:8000 / :4566 are used as they are and left running.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR source=local/emulators.sh
source infra/local/emulators.sh

QUICK=0
if [[ "${1:-}" == "--quick" ]]; then
  QUICK=1
  shift
fi

T0=$SECONDS
STEP="setup"
LOG_DIR="$(mktemp -d)"
declare -A BG_PID=()

section() {
  STEP="$*"
  printf '\n==== [%4ds] %s\n' "$((SECONDS - T0))" "$*"
}

on_exit() {
  local rc=$?
  local pid
  for pid in "${BG_PID[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  ll_stop_started
  rm -rf "$LOG_DIR"
  if ((rc == 0)); then
    printf '\n==== [%4ds] all checks passed\n' "$((SECONDS - T0))"
  else
    printf '\n==== [%4ds] FAILED (exit %d) in: %s\n' "$((SECONDS - T0))" "$rc" "$STEP" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a step in the background (installs: network and disk, while the
# compiler has the CPU), at the lowest priority: the compiler is the run's
# critical path, an install takes what CPU it leaves. `join` waits for it
# and shows its output.
background() {
  local name="$1"
  shift
  (
    renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true
    "$@"
  ) >"$LOG_DIR/$name.log" 2>&1 &
  BG_PID[$name]=$!
}

join() {
  local name="$1" rc=0
  section "$name"
  wait "${BG_PID[$name]}" || rc=$?
  unset "BG_PID[$name]"
  cat "$LOG_DIR/$name.log"
  return "$rc"
}

# Real software the end-to-end tests drive: Kamailio and SIPp (the SIP tests),
# chromium and chromedriver (the console's browser tests). One apt-get: two at
# once would fight over dpkg's lock.
install_system_tools() {
  local sip=() browser=()
  command -v kamailio >/dev/null || sip+=(kamailio kamailio-utils-modules kamailio-extra-modules kamailio-tls-modules)
  command -v sipp >/dev/null || sip+=(sip-tester)
  command -v chromium >/dev/null || browser+=(chromium)
  command -v chromedriver >/dev/null || browser+=(chromium-driver)
  if ((${#sip[@]} + ${#browser[@]})); then
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
      echo "the SIP and browser tests need: apt-get install ${sip[*]} ${browser[*]}" >&2
      return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt_install() {
      apt-get install -y -qq "$@" </dev/null || { apt-get update -qq && apt-get install -y -qq "$@" </dev/null; }
    }
    if ((${#sip[@]})); then apt_install --no-install-recommends "${sip[@]}"; fi
    # chromium with its recommends (its fonts).
    if ((${#browser[@]})); then apt_install "${browser[@]}"; fi
  fi
  kamailio -v | head -1
  sipp -v 2>&1 | grep -m1 SIPp || true
  chromium --version 2>/dev/null | tail -1
  chromedriver --version | head -1
}

# The emulators, then the pinned `phonenumbers` in their venv (the emergency-number
# table's check).
install_emulators() {
  ll_install_dynamodb_local
  ll_install_moto
  local want
  want="$(sed -n 's/^phonenumbers==//p' infra/tools/requirements-gen.txt)"
  "$LL_VENV_DIR/bin/python" -c "import phonenumbers, sys; sys.exit(phonenumbers.__version__ != '$want')" 2>/dev/null ||
    "$LL_VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check -r infra/tools/requirements-gen.txt
}

if ((!QUICK)); then
  background "emulators: install" install_emulators
  background "system tools: Kamailio, SIPp, chromium" install_system_tools
  background "template: cfn-lint template.yaml" bash infra/validate-template.sh
fi

section "toolchain"
cargo --version
rustc --version
if command -v rustup >/dev/null; then
  installed="$(rustup component list --installed)"
  missing=()
  grep -q '^rustfmt' <<<"$installed" || missing+=(rustfmt)
  grep -q '^clippy' <<<"$installed" || missing+=(clippy)
  if ((${#missing[@]})); then
    echo "rustup component add ${missing[*]}"
    rustup component add "${missing[@]}"
  fi
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "cargo install cargo-nextest --locked"
  cargo install cargo-nextest --locked ||
    echo "cargo-nextest could not be installed: the tests run under cargo test" >&2
fi
NEXTEST=0
cargo nextest --version >/dev/null 2>&1 && NEXTEST=1

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "structure: no Rust file over 600 lines, no module cycle"
python3 infra/tools/check-structure.py

# Clippy lints Lifeline's crates while they are compiled for the tests:
# clippy-driver as the workspace's compiler wrapper (what `cargo clippy`
# itself sets up, with codegen left on), so the workspace is compiled once
# instead of checked by clippy and then built again. Same lints and sources
# as `cargo clippy --workspace --all-targets -- -D warnings`, on exactly what
# the test run needs: libraries, tests and examples, and each binary as its
# test harness, which compiles (and lints) its main.rs but links none of the
# SDK code a deployable binary carries (that is `sam build`'s to make).
clippy_driver="$(rustc --print sysroot)/bin/clippy-driver"
[[ -x "$clippy_driver" ]] || clippy_driver="clippy-driver"
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
# A clean clone is compiled once: incremental state would only cost time.
[[ "${CI:-}" == "true" ]] && export CARGO_INCREMENTAL=0
# The figures (examples) are linted and kept compiling too.
FEATURES=(--features lifeline-e2e/figures)

section "clippy -D warnings, while compiling every target (cargo build --workspace --lib --tests --examples)"
cargo build --workspace --lib --tests --examples "${FEATURES[@]}"

if ((NEXTEST)); then
  run_tests() { cargo nextest run --workspace "${FEATURES[@]}" "$@"; }
  WITHOUT_E2E=(-E 'not package(lifeline-e2e)')
else
  run_tests() { cargo test --workspace "${FEATURES[@]}" "$@"; }
  WITHOUT_E2E=(--exclude lifeline-e2e)
fi

if ((QUICK)); then
  section "unit and handler tests (no emulator)"
  run_tests "${WITHOUT_E2E[@]}" "$@"
  exit 0
fi

join "template: cfn-lint template.yaml"
join "emulators: install"
join "system tools: Kamailio, SIPp, chromium"

section "emergency numbers: the generated table matches libphonenumber's metadata"
# The generator regenerates the table in memory and fails on any difference (a hand edit).
"$LL_VENV_DIR/bin/python" infra/tools/gen-emergency-numbers.py --check

section "emulators: start (DynamoDB Local on 127.0.0.1:8000, moto on 127.0.0.1:4566)"
ll_start_dynamodb
ll_start_moto
ll_export_local_env
ll_create_local_resources
echo "AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB"
echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"

section "every test: unit, handler and end-to-end${*:+ ($*)}"
export LIFELINE_E2E=1
run_tests "$@"
