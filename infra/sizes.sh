#!/usr/bin/env bash
# Release binary sizes (stripped, as the workspace profile builds them), each
# function built on its own (`cargo build --release -p NAME`) so that it gets
# exactly the features it asks for — what `cargo tree -e normal -p NAME` shows.
#   ./infra/sizes.sh            # markdown table on stdout, build output on stderr
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every function template.yaml deploys (its `Binary:`; a test holds them to
# lifeline_edge::registry).
mapfile -t FUNCTIONS < <(sed -n 's/^ *Binary: *//p' template.yaml)
dir="${CARGO_TARGET_DIR:-target}/release"
out=()
for f in "${FUNCTIONS[@]}"; do
  echo "building $f…" >&2
  cargo build --release -p "$f" --bin "$f" >&2
  out+=("$f $(stat -c %s "$dir/$f")")
done
echo "| function | bytes | MB |"
echo "|---|---|---|"
total=0
for line in "${out[@]}"; do
  read -r name bytes <<<"$line"
  total=$((total + bytes))
  awk -v n="$name" -v b="$bytes" 'BEGIN { printf "| %s | %d | %.2f |\n", n, b, b / 1048576 }'
done
awk -v n="${#FUNCTIONS[@]}" -v b="$total" 'BEGIN { printf "| **all %d** | %d | %.2f |\n", n, b, b / 1048576 }'
