#!/usr/bin/env bash
# Renders the Amazon Connect flows in this folder into importable Flow-language
# files: substitutes ${ConnectAdapterArn}, ${FallbackQueueArn} and
# ${NormalInboundFlowArn}, checks the values' shape and that nothing is left
# unsubstituted, and prints the `aws connect create-contact-flow` commands.
#
#   infra/connect/render.sh \
#     --connect-adapter-arn arn:aws:lambda:us-east-1:111122223333:function:lifeline-prod-connect-adapter \
#     --fallback-queue-arn  arn:aws:connect:us-east-1:111122223333:instance/<id>/queue/<queue-id> \
#     --normal-inbound-flow-arn arn:aws:connect:us-east-1:111122223333:instance/<id>/contact-flow/<flow-id> \
#     [--out DIR]
#
# Each value may instead come from the environment: CONNECT_ADAPTER_ARN,
# FALLBACK_QUEUE_ARN, NORMAL_INBOUND_FLOW_ARN, OUT_DIR. Default output folder:
# ${TMPDIR:-/tmp}/lifeline-connect-flows. Needs only bash and python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

adapter="${CONNECT_ADAPTER_ARN:-}"
fallback="${FALLBACK_QUEUE_ARN:-}"
normal="${NORMAL_INBOUND_FLOW_ARN:-}"
out="${OUT_DIR:-${TMPDIR:-/tmp}/lifeline-connect-flows}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --connect-adapter-arn) adapter="${2:?--connect-adapter-arn needs a value}"; shift 2 ;;
    --fallback-queue-arn) fallback="${2:?--fallback-queue-arn needs a value}"; shift 2 ;;
    --normal-inbound-flow-arn) normal="${2:?--normal-inbound-flow-arn needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "render.sh: unknown argument: $1" >&2; usage 2 ;;
  esac
done

python3 - "$here" "$out" "$adapter" "$fallback" "$normal" <<'PY'
import json, re, sys
from pathlib import Path

here, out, adapter, fallback, normal = sys.argv[1:6]
values = {
    "ConnectAdapterArn": adapter.strip(),
    "FallbackQueueArn": fallback.strip(),
    "NormalInboundFlowArn": normal.strip(),
}
env_names = {
    "ConnectAdapterArn": "--connect-adapter-arn / CONNECT_ADAPTER_ARN",
    "FallbackQueueArn": "--fallback-queue-arn / FALLBACK_QUEUE_ARN",
    "NormalInboundFlowArn": "--normal-inbound-flow-arn / NORMAL_INBOUND_FLOW_ARN",
}
part = r"arn:aws[a-z-]*:{svc}:[a-z0-9-]+:[0-9]{{12}}:"
shapes = {
    # A function ARN, optionally qualified by an alias or version.
    "ConnectAdapterArn": re.compile(part.format(svc="lambda") + r"function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$"),
    "FallbackQueueArn": re.compile(part.format(svc="connect") + r"instance/([0-9a-f-]{36})/queue/[0-9a-f-]{36}$"),
    "NormalInboundFlowArn": re.compile(part.format(svc="connect") + r"instance/([0-9a-f-]{36})/contact-flow/[0-9a-f-]{36}$"),
}

problems = []
for name, value in values.items():
    if not value:
        problems.append(f"{name} is missing ({env_names[name]})")
    elif not shapes[name].match(value):
        problems.append(f"{name} does not look like the expected ARN: {value}")
if not problems:
    q = shapes["FallbackQueueArn"].match(values["FallbackQueueArn"]).group(1)
    f = shapes["NormalInboundFlowArn"].match(values["NormalInboundFlowArn"]).group(1)
    if q != f:
        problems.append(f"FallbackQueueArn (instance {q}) and NormalInboundFlowArn (instance {f}) are in different instances")
if problems:
    for p in problems:
        print(f"render.sh: {p}", file=sys.stderr)
    sys.exit(2)

Path(out).mkdir(parents=True, exist_ok=True)
placeholder = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
for name in ("outbound-whisper.json", "inbound-callback.json"):
    text = (Path(here) / name).read_text()
    unknown = sorted(set(placeholder.findall(text)) - set(values))
    if unknown:
        print(f"render.sh: {name}: unknown placeholders {unknown}", file=sys.stderr)
        sys.exit(1)
    rendered = placeholder.sub(lambda m: values[m.group(1)], text)
    flow = json.loads(rendered)  # refuse to write anything that is not JSON
    if flow.get("Version") != "2019-10-30":
        print(f"render.sh: {name}: Version is not 2019-10-30", file=sys.stderr)
        sys.exit(1)
    target = Path(out) / name
    target.write_text(rendered)
    print(f"wrote {target}")

instance = shapes["FallbackQueueArn"].match(values["FallbackQueueArn"]).group(1)
print()
print("Import (PUBLISHED validates the content; a queue only offers published outbound whisper flows):")
print(f"  aws connect create-contact-flow --instance-id {instance} --name 'Lifeline outbound whisper' \\")
print(f"    --type OUTBOUND_WHISPER --status PUBLISHED --content file://{Path(out) / 'outbound-whisper.json'}")
print(f"  aws connect create-contact-flow --instance-id {instance} --name 'Lifeline callback inbound' \\")
print(f"    --type CONTACT_FLOW --status PUBLISHED --content file://{Path(out) / 'inbound-callback.json'}")
PY
