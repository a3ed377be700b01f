#!/usr/bin/env bash
# Create the Lifeline table and seed demo data through the admin CLI.
#   infra/local/seed.sh
# Env:
#   LIFELINE_CLI    the admin CLI (default: <repo>/target/debug/lifeline, or under $CARGO_TARGET_DIR)
#   LIFELINE_TABLE  table name (default: lifeline)
#   AWS_*           endpoints/credentials; unset ones default to the local emulators
#                   (DynamoDB Local on 127.0.0.1:8000), as in infra/local/emulators.sh.
# Run by infra/local/run.sh after the emulators are up; can be re-run on its own.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=emulators.sh
source "$here/emulators.sh"
ll_export_local_env

if [[ -n "${LIFELINE_CLI:-}" ]]; then
  cli="$LIFELINE_CLI"
else
  target_dir="${CARGO_TARGET_DIR:-target}"
  [[ "$target_dir" == /* ]] || target_dir="$LL_REPO_ROOT/$target_dir"
  cli="$target_dir/debug/lifeline"
fi
if [[ ! -x "$cli" ]]; then
  echo "seed: admin CLI not found at $cli (cargo build -p lifeline-cli, or set LIFELINE_CLI)" >&2
  exit 1
fi

export LIFELINE_TABLE="${LIFELINE_TABLE:-lifeline}"
RECIPIENTS="supervisor@example.com; security@example.com"

run() {
  printf '+ lifeline'
  printf ' %q' "$@"
  printf '\n'
  "$cli" "$@"
}

echo "seeding table $LIFELINE_TABLE at ${AWS_ENDPOINT_URL_DYNAMODB}"

run table create

run tenant set --direct-routing-emergency-rule false --calling-plan-numbers true

run agent put --id a-42 --name "Ana Diaz" --email ana@example.com --country US \
  --source-number +14255550100 --number-type calling_plan --recipients "$RECIPIENTS" --outbound-profile OVP-emergency
run agent put --id a-43 --name "Ben Okafor" --email ben@example.com --country US \
  --source-number +14255550101 --number-type direct_routing --recipients "$RECIPIENTS" --outbound-profile OVP-emergency
run agent put --id a-44 --name "Chloe Martin" --email chloe@example.com --country GB \
  --source-number +442071838750 --number-type calling_plan --recipients "$RECIPIENTS" --outbound-profile OVP-emergency
run agent put --id a-45 --name "Mads Jensen" --email mads@example.com --country DK \
  --source-number +4533123456 --number-type calling_plan --recipients "$RECIPIENTS" --outbound-profile OVP-emergency
# A floor of 20 more US agents (a-200 … a-219, own numbers +14255550200 …
# +14255550219): the SIP load benchmark's callers (infra/sip/agents.cfg
# lists them too).
for i in $(seq 0 19); do
  n=$(printf '%02d' "$i")
  run agent put --id "a-2$n" --name "Floor agent 2$n" --country US \
    --source-number "+142555502$n" --number-type calling_plan --recipients "$RECIPIENTS" \
    --outbound-profile OVP-emergency
done

# Where each agent registered at the start of the shift (a desk's dispatchable
# address): what a dial that brings no location of its own carries.
run agent location set a-42 --country US --civic NAM="Contoso HQ" --civic HNO=1 --civic RD="Main St" \
  --civic A3=Redmond --civic A1=WA --civic PC=98052 --civic FLR=3 --civic ROOM=301 --method Manual
run agent location set a-43 --country US --civic HNO=400 --civic RD="Broad St" --civic A3=Seattle \
  --civic A1=WA --civic PC=98109 --civic FLR=2 --method Manual
run agent location set a-44 --country GB --civic HNO=30 --civic RD="St Mary Axe" --civic A3=London \
  --civic PC="EC3A 8BF" --civic FLR=12 --method Manual
run agent location set a-45 --country DK --civic HNO=1 --civic RD="Rådhuspladsen" --civic A3="København" \
  --civic PC=1550 --method Manual

run pool add --country US +14255550199 +14255550198 +14255550197 +14255550196 +14255550195
# Enough for the floor: a number per agent while their callback windows run.
run pool add --country US $(for i in $(seq 170 189); do printf '+14255550%d ' "$i"; done)
run pool add --country GB +442071838760 +442071838761
run pool add --country DK +4533123460 +4533123461
run pool add --country CA +16045550190 +16045550191

echo "seed: done"
