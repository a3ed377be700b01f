#!/usr/bin/env bash
# Lifeline's benchmarks: builds the release binaries, starts the local
# emulators (stopped again on exit) and prints the figures BENCHMARKS.md holds.
#   ./infra/bench.sh                 # markdown on stdout
#   BENCH_RUNS=500 ./infra/bench.sh  # more runs per latency figure (default 200)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR source=local/emulators.sh
source infra/local/emulators.sh
trap ll_stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "building release binaries…" >&2
cargo build --release --workspace --bins >&2
ll_install_dynamodb_local >&2
ll_install_moto >&2
ll_start_dynamodb >&2
ll_start_moto >&2
ll_export_local_env
# The functions' CloudWatch metric lines (EMF JSON on stdout) are not part of the report.
run() {
  BENCH_ONLY="$1" BENCH_BIN_DIR="${CARGO_TARGET_DIR:-target}/release" \
    "${CARGO_TARGET_DIR:-target}/release/lifeline-bench" | grep -v '^{'
}
# DynamoDB Local slows down as the items and stream records written to it pile up
# (a 3-item transaction: ~5 ms fresh, ~80 ms after the test suite's tables), so
# each group of sections gets fresh emulators when this script started them.
fresh() {
  if ((${#LL_STARTED_PIDS[@]})); then
    ll_stop_started >&2
    ll_start_dynamodb >&2
    ll_start_moto >&2
    ll_export_local_env
  else
    echo "note: the emulators were running before this script; later sections run on them as they are" >&2
  fi
}
run calls,latency,pools
fresh
run coldstart,sizes,adapters
fresh
run burst
