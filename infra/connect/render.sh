#!/usr/bin/env bash
# Renders the Amazon Connect flows in this folder into importable Flow-language
# files: substitutes ${ConnectAdapterArn}, ${FallbackQueueArn},
# ${NormalInboundFlowArn} and ${CallbackQueueFlowArn}, checks the values' shape
# and that nothing is left unsubstituted, and prints the
# `aws connect create-contact-flow` commands.
#
#   infra/connect/render.sh \
#     --connect-adapter-arn arn:aws:lambda:us-east-1:111122223333:function:lifeline-prod-connect-adapter \
#     --fallback-queue-arn  arn:aws:connect:us-east-1:111122223333:instance/<id>/queue/<queue-id> \
#     --normal-inbound-flow-arn arn:aws:connect:us-east-1:111122223333:instance/<id>/contact-flow/<flow-id> \
#     [--callback-queue-flow-arn arn:aws:connect:us-east-1:111122223333:instance/<id>/contact-flow/<flow-id>] \
#     [--stack lifeline-prod] [--out DIR]
#
# Two passes: the inbound flow names the customer queue flow, so the first
# pass (without --callback-queue-flow-arn) writes outbound-whisper.json and
# callback-queue.json; import callback-queue.json, then run again with the ARN
# create-contact-flow answers to get inbound-callback.json too.
# --stack NAME takes --connect-adapter-arn and --fallback-queue-arn from the
# stack's outputs ConnectAdapterFunctionArn and ConnectFallbackQueueArn (the
# template parameter), with the AWS CLI; an explicit value wins.
# Each value may instead come from the environment: CONNECT_ADAPTER_ARN,
# FALLBACK_QUEUE_ARN, NORMAL_INBOUND_FLOW_ARN, CALLBACK_QUEUE_FLOW_ARN,
# LIFELINE_STACK, OUT_DIR. Default output folder:
# ${TMPDIR:-/tmp}/lifeline-connect-flows. Needs bash and python3 (and the AWS
# CLI for --stack).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

adapter="${CONNECT_ADAPTER_ARN:-}"
fallback="${FALLBACK_QUEUE_ARN:-}"
normal="${NORMAL_INBOUND_FLOW_ARN:-}"
queue_flow="${CALLBACK_QUEUE_FLOW_ARN:-}"
stack="${LIFELINE_STACK:-}"
out="${OUT_DIR:-${TMPDIR:-/tmp}/lifeline-connect-flows}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --connect-adapter-arn) adapter="${2:?--connect-adapter-arn needs a value}"; shift 2 ;;
    --fallback-queue-arn) fallback="${2:?--fallback-queue-arn needs a value}"; shift 2 ;;
    --normal-inbound-flow-arn) normal="${2:?--normal-inbound-flow-arn needs a value}"; shift 2 ;;
    --callback-queue-flow-arn) queue_flow="${2:?--callback-queue-flow-arn needs a value}"; shift 2 ;;
    --stack) stack="${2:?--stack needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "render.sh: unknown argument: $1" >&2; usage 2 ;;
  esac
done

outputs="[]"
if [[ -n "$stack" ]]; then
  if ! outputs="$(aws cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Outputs' --output json)"; then
    echo "render.sh: could not read the outputs of stack $stack" >&2
    exit 2
  fi
fi

python3 - "$here" "$out" "$adapter" "$fallback" "$normal" "$queue_flow" "$stack" "$outputs" <<'PY'
import json, re, sys
from pathlib import Path

here, out, adapter, fallback, normal, queue_flow, stack, outputs = sys.argv[1:9]
# --stack: the template's outputs fill what was not given explicitly.
from_stack = {o.get("OutputKey"): o.get("OutputValue", "") for o in (json.loads(outputs or "[]") or [])}
if stack:
    adapter = adapter or from_stack.get("ConnectAdapterFunctionArn", "")
    fallback = fallback or from_stack.get("ConnectFallbackQueueArn", "")
values = {
    "ConnectAdapterArn": adapter.strip(),
    "FallbackQueueArn": fallback.strip(),
    "NormalInboundFlowArn": normal.strip(),
    "CallbackQueueFlowArn": queue_flow.strip(),
}
env_names = {
    "ConnectAdapterArn": "--connect-adapter-arn / CONNECT_ADAPTER_ARN / stack output ConnectAdapterFunctionArn",
    "FallbackQueueArn": "--fallback-queue-arn / FALLBACK_QUEUE_ARN / stack output ConnectFallbackQueueArn",
    "NormalInboundFlowArn": "--normal-inbound-flow-arn / NORMAL_INBOUND_FLOW_ARN",
    "CallbackQueueFlowArn": "--callback-queue-flow-arn / CALLBACK_QUEUE_FLOW_ARN",
}
# Needed on every run; the queue flow's ARN only exists after its import.
required = ["ConnectAdapterArn", "FallbackQueueArn", "NormalInboundFlowArn"]
part = r"arn:aws[a-z-]*:{svc}:[a-z0-9-]+:[0-9]{{12}}:"
shapes = {
    # A function ARN, optionally qualified by an alias or version.
    "ConnectAdapterArn": re.compile(part.format(svc="lambda") + r"function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$"),
    "FallbackQueueArn": re.compile(part.format(svc="connect") + r"instance/([0-9a-f-]{36})/queue/[0-9a-f-]{36}$"),
    "NormalInboundFlowArn": re.compile(part.format(svc="connect") + r"instance/([0-9a-f-]{36})/contact-flow/[0-9a-f-]{36}$"),
    "CallbackQueueFlowArn": re.compile(part.format(svc="connect") + r"instance/([0-9a-f-]{36})/contact-flow/[0-9a-f-]{36}$"),
}

problems = []
for name, value in values.items():
    if not value:
        if name in required:
            problems.append(f"{name} is missing ({env_names[name]})")
    elif not shapes[name].match(value):
        problems.append(f"{name} does not look like the expected ARN: {value}")
if not problems:
    instances = {
        name: shapes[name].match(values[name]).group(1)
        for name in ("FallbackQueueArn", "NormalInboundFlowArn", "CallbackQueueFlowArn")
        if values[name]
    }
    if len(set(instances.values())) > 1:
        problems.append("the queue and the flows are in different instances: " + ", ".join(
            f"{n} {i}" for n, i in instances.items()))
if problems:
    for p in problems:
        print(f"render.sh: {p}", file=sys.stderr)
    sys.exit(2)

Path(out).mkdir(parents=True, exist_ok=True)
placeholder = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Import order: the inbound flow names the customer queue flow.
files = {
    "outbound-whisper.json": "OUTBOUND_WHISPER",
    "callback-queue.json": "CUSTOMER_QUEUE",
    "inbound-callback.json": "CONTACT_FLOW",
}
names = {
    "outbound-whisper.json": "Lifeline outbound whisper",
    "callback-queue.json": "Lifeline callback queue",
    "inbound-callback.json": "Lifeline callback inbound",
}
written, waiting = [], []
for name in files:
    text = (Path(here) / name).read_text()
    used = set(placeholder.findall(text))
    unknown = sorted(used - set(values))
    if unknown:
        print(f"render.sh: {name}: unknown placeholders {unknown}", file=sys.stderr)
        sys.exit(1)
    if any(not values[u] for u in used):
        waiting.append(name)
        continue
    rendered = placeholder.sub(lambda m: values[m.group(1)], text)
    flow = json.loads(rendered)  # refuse to write anything that is not JSON
    if flow.get("Version") != "2019-10-30":
        print(f"render.sh: {name}: Version is not 2019-10-30", file=sys.stderr)
        sys.exit(1)
    target = Path(out) / name
    target.write_text(rendered)
    written.append(name)
    print(f"wrote {target}")

instance = shapes["FallbackQueueArn"].match(values["FallbackQueueArn"]).group(1)
print()
print("Import (PUBLISHED validates the content; a queue only offers published outbound whisper flows):")
# The second pass (with the queue flow's ARN) follows an import of the others.
second = bool(values["CallbackQueueFlowArn"])
for name in written:
    if second and name != "inbound-callback.json":
        continue
    print(f"  aws connect create-contact-flow --instance-id {instance} --name '{names[name]}' \\")
    print(f"    --type {files[name]} --status PUBLISHED --content file://{Path(out) / name}")
if second:
    print("(outbound-whisper.json and callback-queue.json: imported after the first pass; a later")
    print(" change goes in with aws connect update-contact-flow-content --contact-flow-id <id> --content file://...)")
if waiting:
    print()
    print("Not written yet: " + ", ".join(waiting) + " (it names the customer queue flow). Import")
    print("callback-queue.json first, then run render.sh again with")
    print("  --callback-queue-flow-arn <the ContactFlowArn create-contact-flow answered>")
PY
