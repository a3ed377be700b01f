#!/usr/bin/env bash
# Lints the SAM template offline (no AWS account, no credentials, no Docker)
# with a pinned cfn-lint, installed once into infra/local/.venv-lint.
#
#   ./infra/validate-template.sh                       # lint template.yaml
#   ./infra/validate-template.sh --include-checks I    # also informational findings
#   TEMPLATE=other.yaml ./infra/validate-template.sh
#
# Exits non-zero on any error or warning (cfn-lint's exit code: 2 errors,
# 4 warnings, 8 informational, OR-ed). Needs python3 with venv, and PyPI the
# first time.
set -euo pipefail

CFN_LINT_VERSION="1.58.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/infra/local/.venv-lint"
template="${TEMPLATE:-template.yaml}"
python="${PYTHON:-python3}"

if [ "$("$venv/bin/cfn-lint" --version 2>/dev/null || true)" != "cfn-lint $CFN_LINT_VERSION" ]; then
    echo "installing cfn-lint $CFN_LINT_VERSION into ${venv#"$root"/}" >&2
    if [ ! -x "$venv/bin/python" ]; then
        mkdir -p "$(dirname "$venv")"
        "$python" -m venv "$venv"
    fi
    # Keep the venv out of git without touching the shared .gitignore.
    printf '*\n' >"$venv/.gitignore"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi

cd "$root"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
"$venv/bin/cfn-lint" "$@" -- "$template"
echo "cfn-lint $CFN_LINT_VERSION: $template OK" >&2
