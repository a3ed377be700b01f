#!/usr/bin/env python3
"""Re-sign the sample API Gateway HTTP API (v2) events in this folder.

For every events/*.json (or the files given) that carries `headers` and a
`body`, rewrites

    x-lifeline-signature: t=<T>,v2=<hex HMAC-SHA256(secret, "<T>.<METHOD>.<rawPath>.<raw body>")>

keeping the body byte for byte, and refreshes `content-length` and
`requestContext.time`/`timeEpoch` to match. Events without headers (stream,
schedule) are left alone. Python 3 standard library only.

    python3 events/regen.py                          # secret local-secret, t = now
    python3 events/regen.py --secret "$SECRET" --t 1795496400
    python3 events/regen.py --check --secret local-secret   # verify, change nothing
"""

import argparse
import base64
import glob
import hashlib
import hmac
import json
import os
import sys
import time
from datetime import datetime, timezone

HEADER = "x-lifeline-signature"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def raw_body(event):
    """The exact bytes the platform sent (a GET signs an empty body)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def route(event):
    """What the signature binds: the request's method and its raw path."""
    method = event.get("requestContext", {}).get("http", {}).get("method", "POST")
    return method.upper(), event.get("rawPath", "")


def sign(secret, t, event, body):
    method, path = route(event)
    message = f"{t}.{method}.{path}.".encode("utf-8") + body
    mac = hmac.new(secret.encode("utf-8"), message, hashlib.sha256)
    return f"t={t},v2={mac.hexdigest()}"


def apigw_time(t):
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d:%H:%M:%S} +0000"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--secret", default=os.environ.get("LIFELINE_WEBHOOK_SECRET", "local-secret"),
                    help="webhook secret (default: $LIFELINE_WEBHOOK_SECRET or local-secret)")
    ap.add_argument("--t", type=int, default=None, help="unix seconds to sign with (default: now)")
    ap.add_argument("--check", action="store_true",
                    help="only verify each signature against --secret (ignores its age)")
    ap.add_argument("files", nargs="*", help="event files (default: events/*.json)")
    args = ap.parse_args()
    t = args.t if args.t is not None else int(time.time())
    files = args.files or sorted(glob.glob(os.path.join(here, "*.json")))

    bad = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            event = json.load(f)
        headers = event.get("headers")
        # A GET carries no body and signs the empty string.
        if not isinstance(headers, dict) or "requestContext" not in event:
            print(f"skip  {path} (not an HTTP event)")
            continue
        if "x-twilio-signature" in headers:
            print(f"skip  {path} (Twilio's signature: events/twilio.py)")
            continue
        body = raw_body(event)
        if args.check:
            got = headers.get(HEADER, "")
            try:
                signed_t = int(got.split(",")[0].removeprefix("t="))
            except ValueError:
                signed_t = None
            ok = signed_t is not None and hmac.compare_digest(got, sign(args.secret, signed_t, event, body))
            bad += not ok
            print(f"{'ok   ' if ok else 'BAD  '} {path} {got}")
            continue
        headers[HEADER] = sign(args.secret, t, event, body)
        if body:
            headers["content-length"] = str(len(body))
        else:
            headers.pop("content-length", None)
        ctx = event.get("requestContext")
        if isinstance(ctx, dict):
            ctx["time"] = apigw_time(t)
            ctx["timeEpoch"] = t * 1000
        with open(path, "w", encoding="utf-8") as f:
            json.dump(event, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {path} {headers[HEADER]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
