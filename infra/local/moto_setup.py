"""Create Lifeline's SES v2 sender identity and EventBridge Scheduler group on the
endpoint in $AWS_ENDPOINT_URL (moto server locally). Idempotent.

Run by ll_create_local_resources in infra/local/emulators.sh with the venv's python.
"""

import os
import sys

import boto3
from botocore.exceptions import ClientError

ALREADY = {"AlreadyExistsException", "ConflictException", "ResourceAlreadyExistsException"}
MISSING = {"NotFoundException", "ResourceNotFoundException"}


def ensure(what, get, create):
    """Create `what` unless `get` finds it; an "already exists" from create is fine too."""
    try:
        get()
        print(f"[moto_setup] {what}: already there")
        return
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") not in MISSING:
            raise
    try:
        create()
        print(f"[moto_setup] {what}: created")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") not in ALREADY:
            raise
        print(f"[moto_setup] {what}: already there")


def main() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    sender = os.environ.get("LIFELINE_NOTIFY_FROM") or "lifeline@example.com"
    group = os.environ.get("LIFELINE_SCHEDULE_GROUP") or "lifeline"

    ses = boto3.client("sesv2", endpoint_url=endpoint, region_name=region)
    ensure(
        f"SES v2 email identity {sender}",
        lambda: ses.get_email_identity(EmailIdentity=sender),
        lambda: ses.create_email_identity(EmailIdentity=sender),
    )

    scheduler = boto3.client("scheduler", endpoint_url=endpoint, region_name=region)
    ensure(
        f"Scheduler schedule group {group}",
        lambda: scheduler.get_schedule_group(Name=group),
        lambda: scheduler.create_schedule_group(Name=group),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
