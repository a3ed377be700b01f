#!/usr/bin/env bash
# Lifeline's one test command (CI runs it through .ci/run):
#   rustfmt check -> clippy (-D warnings) -> template lint -> local emulators (DynamoDB
#   Local, moto) -> the emergency-number table checked against its metadata
#   -> cargo test --workspace with LIFELINE_E2E=1.
# Works from any directory. Extra arguments go to `cargo test`, e.g.
#   infra/test.sh -p lifeline-domain
#   infra/test.sh --test spine -- --nocapture
# Environment: anything set in AWS_ENDPOINT_URL* / AWS_REGION / AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY is kept (e.g. to use LocalStack); emulators already answering
# on 127.0.0.1:8000 / :4566 are used as they are and left running.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR source=local/emulators.sh
source infra/local/emulators.sh

T0=$SECONDS
STEP="setup"

section() {
  STEP="$*"
  printf '\n==== [%4ds] %s\n' "$((SECONDS - T0))" "$*"
}

on_exit() {
  local rc=$?
  ll_stop_started
  if ((rc == 0)); then
    printf '\n==== [%4ds] all checks passed\n' "$((SECONDS - T0))"
  else
    printf '\n==== [%4ds] FAILED (exit %d) in: %s\n' "$((SECONDS - T0))" "$rc" "$STEP" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
cargo fmt --version
cargo clippy --version

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

section "template: cfn-lint template.yaml"
bash infra/validate-template.sh

section "emulators: install"
ll_install_dynamodb_local
ll_install_moto

section "SIP tools: Kamailio and SIPp (the SIP tests)"
sip_packages=(kamailio kamailio-utils-modules kamailio-extra-modules kamailio-tls-modules sip-tester)
if ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${sip_packages[@]}" </dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${sip_packages[@]}" </dev/null; }
  else
    echo "the SIP tests need: apt-get install --no-install-recommends ${sip_packages[*]}" >&2
    exit 1
  fi
fi
kamailio -v | head -1
sipp -v 2>&1 | grep -m1 SIPp || true

section "emergency numbers: the generated table matches libphonenumber's metadata"
# The pinned `phonenumbers` goes into the emulators' venv; the generator
# regenerates the table in memory and fails on any difference (a hand edit).
want_pn="$(sed -n 's/^phonenumbers==//p' infra/tools/requirements-gen.txt)"
"$LL_VENV_DIR/bin/python" -c "import phonenumbers, sys; sys.exit(phonenumbers.__version__ != '$want_pn')" 2>/dev/null ||
  "$LL_VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check -r infra/tools/requirements-gen.txt
"$LL_VENV_DIR/bin/python" infra/tools/gen-emergency-numbers.py --check

section "emulators: start (DynamoDB Local on 127.0.0.1:8000, moto on 127.0.0.1:4566)"
ll_start_dynamodb
ll_start_moto
ll_export_local_env
ll_create_local_resources
echo "AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB"
echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"

section "cargo test --workspace${*:+ $*}"
export LIFELINE_E2E=1
cargo test --workspace "$@"
