"""The console's user pool on moto's Cognito (cognito-idp): the pool, its app client
(USER_PASSWORD_AUTH), the groups `admin` and `security-desk`, and two demo users with
passwords made for this run. Idempotent: an existing pool of that name is reused and
the users' passwords set anew.

Prints shell `export` lines on stdout (run.sh evaluates them): LIFELINE_CONSOLE_ISSUER,
LIFELINE_CONSOLE_CLIENT_ID, LIFELINE_CONSOLE_JWKS_URL, LIFELINE_CONSOLE_ADMIN and
LIFELINE_CONSOLE_DESK (each user:password). Run with the emulators' venv python.
"""

import os
import secrets
import shlex
import sys

import boto3

POOL = "lifeline-local-console"
CLIENT = "lifeline-local-console"
USERS = (("admin", "admin"), ("desk", "security-desk"))


def password() -> str:
    # The pool's policy: 12+ characters, upper, lower, digit, symbol.
    return "Ll-" + secrets.token_urlsafe(12) + "9a!"


def main() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region)

    pools = idp.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == POOL), None)
    if pool_id is None:
        pool_id = idp.create_user_pool(
            PoolName=POOL,
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireLowercase": True,
                                         "RequireUppercase": True, "RequireNumbers": True,
                                         "RequireSymbols": True}},
        )["UserPool"]["Id"]
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == CLIENT), None)
    if client_id is None:
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=CLIENT,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
    groups = {g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]}
    for _, group in USERS:
        if group not in groups:
            idp.create_group(UserPoolId=pool_id, GroupName=group)
    sign_ins = {}
    for user, group in USERS:
        try:
            idp.admin_get_user(UserPoolId=pool_id, Username=user)
        except idp.exceptions.UserNotFoundException:
            idp.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName=group)
        secret = password()
        idp.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=secret,
                                    Permanent=True)
        sign_ins[user] = f"{user}:{secret}"
        print(f"[console_pool] {user} in {group}", file=sys.stderr)

    # moto names AWS's host as its tokens' issuer, and serves the keys itself.
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    exports = {
        "LIFELINE_CONSOLE_ISSUER": issuer,
        "LIFELINE_CONSOLE_CLIENT_ID": client_id,
        "LIFELINE_CONSOLE_JWKS_URL": f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json",
        "LIFELINE_CONSOLE_ADMIN": sign_ins["admin"],
        "LIFELINE_CONSOLE_DESK": sign_ins["desk"],
    }
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
