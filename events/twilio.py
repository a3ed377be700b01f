#!/usr/bin/env python3
"""Write the Twilio sample events: API Gateway HTTP API (v2) requests as
Twilio sends them to the twilio-adapter (form-encoded voice webhook
parameters, https://www.twilio.com/docs/voice/twiml#request-parameters),
each signed with X-Twilio-Signature exactly as Twilio signs: base64
HMAC-SHA1(auth token, full URL + each POST parameter sorted by name, name
then value). Signed for the local runner's defaults (token
`local-twilio-token`, public URL `http://127.0.0.1:3000`) so that
`./infra/local/invoke.sh twilio-adapter events/twilio-outbound.json` runs as is.

    python3 events/twilio.py [--token T] [--public-url URL]
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import urllib.parse

ACCOUNT = "AC" + "0" * 31 + "1"
APP = "AP" + "0" * 31 + "2"
T = 1795496400  # 2026-11-24T05:00:00Z


def signature(token, url, params):
    data = url + "".join(k + v for k, v in sorted(params))
    mac = hmac.new(token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def event(token, base, path, params, query=""):
    body = urllib.parse.urlencode(params)
    url = base + path + (f"?{query}" if query else "")
    host = urllib.parse.urlparse(base).netloc
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "*/*",
            "content-length": str(len(body)),
            "content-type": "application/x-www-form-urlencoded",
            "host": host,
            "i-twilio-idempotency-token": "8a4f5d1e-3c2b-4a1d-9e8f-7b6c5d4e3f2a",
            "user-agent": "TwilioProxy/1.1",
            "x-twilio-signature": signature(token, url, params),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": host,
            "domainPrefix": "a1b2c3d4e5",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "54.172.60.0", "userAgent": "TwilioProxy/1.1"},
            "requestId": "sample-twilio-request-id",
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": "24/Nov/2026:05:00:00 +0000",
            "timeEpoch": T * 1000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def voice_sdk_dial(call_sid, to):
    """What a TwiML App's Voice URL gets when agent a-42's Voice SDK dials
    `to`, with the desktop's custom parameters (CallerId, Country, Address)."""
    return [
        ("AccountSid", ACCOUNT), ("ApiVersion", "2010-04-01"), ("ApplicationSid", APP),
        ("CallSid", call_sid), ("CallStatus", "ringing"), ("Called", ""),
        ("Caller", "client:a-42"), ("Direction", "inbound"), ("From", "client:a-42"),
        ("To", to), ("CallerId", "+14255550100"), ("Country", "US"),
        ("Address", "1 Main St, Redmond WA"),
    ]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--token", default="local-twilio-token")
    ap.add_argument("--public-url", default="http://127.0.0.1:3000")
    args = ap.parse_args()
    emergency_sid = "CA" + "a" * 32
    samples = {
        "twilio-outbound.json": event(args.token, args.public_url, "/twilio/outbound",
                                      voice_sdk_dial(emergency_sid, "9-911")),
        "twilio-outbound-ordinary.json": event(args.token, args.public_url, "/twilio/outbound",
                                               voice_sdk_dial("CA" + "b" * 32, "+14255550123")),
        # The PSAP calls a callback number back (a number's Voice URL).
        "twilio-inbound.json": event(args.token, args.public_url, "/twilio/inbound", [
            ("AccountSid", ACCOUNT), ("ApiVersion", "2010-04-01"), ("CallSid", "CA" + "c" * 32),
            ("CallStatus", "ringing"), ("Called", "+14255550190"), ("CalledCountry", "US"),
            ("Caller", "+12065550911"), ("CallerCountry", "US"), ("Direction", "inbound"),
            ("From", "+12065550911"), ("FromCountry", "US"), ("To", "+14255550190"),
            ("ToCountry", "US"),
        ]),
        # The emergency call's <Dial action>: the dialed leg ended.
        "twilio-status.json": event(args.token, args.public_url, "/twilio/status", [
            ("AccountSid", ACCOUNT), ("ApiVersion", "2010-04-01"), ("ApplicationSid", APP),
            ("CallSid", emergency_sid), ("CallStatus", "in-progress"), ("Called", ""),
            ("Caller", "client:a-42"), ("DialCallDuration", "712"),
            ("DialCallSid", "CA" + "d" * 32), ("DialCallStatus", "completed"),
            ("Direction", "inbound"), ("From", "client:a-42"), ("To", "9-911"),
        ]),
    }
    for name, ev in samples.items():
        path = os.path.join(here, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(ev, f, indent=2)
            f.write("\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
