"""auth0-python 4.x, Auth0's official Python SDK, unmodified, against a real Phonebox.

Run by ../auth0-python.test.js, one scenario a process:

    .venv/bin/python python/auth0_sdk.py <scenario>

with PHONEBOX_BASE (http://127.0.0.1:<port>), PHONEBOX_CLIENT_ID and
PHONEBOX_CLIENT_SECRET (a client made through /emulator/v1, so its secret is
checked) in the environment. A scenario raises on the first thing that is not as
Auth0 answers it (exit 1, with the traceback); on success it prints one JSON
object of what it saw, which the Node side checks too.

The only change from pointing the SDK at Auth0 is the endpoint: every
authentication and management class takes `protocol="http"`, and the domain is
`127.0.0.1:<port>`. Unlike the Node SDK, GetToken does not validate ID tokens
itself; auth0-python's TokenVerifier takes the JWKS URL and issuer as given, so
an ID token *can* be verified over plain HTTP here (the passwordless scenario does).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.parse
import urllib.request

from auth0.authentication import GetToken, Passwordless
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.exceptions import Auth0Error
from auth0.management import Guardian, Logs, Users

BASE = os.environ["PHONEBOX_BASE"].rstrip("/")
DOMAIN = urllib.parse.urlsplit(BASE).netloc  # 127.0.0.1:<port>
CLIENT_ID = os.environ["PHONEBOX_CLIENT_ID"]
CLIENT_SECRET = os.environ["PHONEBOX_CLIENT_SECRET"]
# What scripts written for Auth0 send; Phonebox takes either scheme for its own API.
MANAGEMENT_AUDIENCE = f"https://{DOMAIN}/api/v2/"
ISSUER = f"http://{DOMAIN}/"
DATABASE = "Username-Password-Authentication"


class Mismatch(AssertionError):
    pass


def expect(actual, expected, what: str) -> None:
    if actual != expected:
        raise Mismatch(f"{what}: expected {expected!r}, got {actual!r}")


def ensure(condition, what: str) -> None:
    if not condition:
        raise Mismatch(what)


def raises_auth0_error(call, *args, **kwargs) -> Auth0Error:
    try:
        answer = call(*args, **kwargs)
    except Auth0Error as e:
        return e
    raise Mismatch(f"{call.__qualname__} should have raised Auth0Error, answered {answer!r}")


def claims(jwt: str) -> dict:
    parts = jwt.split(".")
    expect(len(parts), 3, "a JWT's parts")
    return json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))


def get_token(secret: str = CLIENT_SECRET) -> GetToken:
    return GetToken(DOMAIN, CLIENT_ID, client_secret=secret, protocol="http")


def management_token() -> str:
    return get_token().client_credentials(MANAGEMENT_AUDIENCE)["access_token"]


def latest_code(phone: str) -> str:
    """The code in the newest message to `phone` (Phonebox's own API, not the SDK)."""
    url = f"{BASE}/emulator/v1/phones/{urllib.parse.quote(phone, safe='')}/latest"
    with urllib.request.urlopen(url, timeout=5) as res:
        message = json.load(res)
    code = message.get("code") or ""
    ensure(len(code) == 6 and code.isdigit(), f"a six-digit code in {message.get('text')!r}")
    return code


def sign_in_by_sms(phone: str, scope: str | None = "profile") -> dict:
    Passwordless(DOMAIN, CLIENT_ID, client_secret=CLIENT_SECRET, protocol="http").sms(phone)
    return get_token().passwordless_login(phone, latest_code(phone), "sms", scope, None)


# --- scenarios -------------------------------------------------------------------


def password_mfa() -> dict:
    """GetToken.login (password-realm) and the plain password grant: mfa_required."""
    user = "py-mfa@example.com"
    realm = raises_auth0_error(get_token().login, user, "pw-1", realm=DATABASE)
    expect(realm.status_code, 403, "status")
    expect(realm.error_code, "mfa_required", "error_code")
    expect(realm.message, "Multifactor authentication required", "message")
    ensure(isinstance(realm.content, dict), "the SDK keeps the mfa_required body as content")
    token = realm.content.get("mfa_token")
    ensure(isinstance(token, str) and len(token) > 20, f"an mfa_token in {realm.content!r}")
    expect(realm.content.get("mfa_requirements"), {"enroll": [{"type": "phone"}]}, "mfa_requirements")

    plain = raises_auth0_error(get_token().login, user, "pw-1", grant_type="password")
    expect(plain.error_code, "mfa_required", "error_code (grant_type=password)")
    ensure(plain.content["mfa_token"] != token, "each login gets its own mfa_token")
    return {"user": user, "mfa_tokens": 2}


def client_credentials() -> dict:
    """GetToken.client_credentials: the client's Management API token; a wrong secret is refused."""
    answer = get_token().client_credentials(MANAGEMENT_AUDIENCE)
    expect(answer.get("token_type"), "Bearer", "token_type")
    expect(answer.get("expires_in"), 86400, "expires_in")
    ensure("id_token" not in answer, "no id_token from client credentials")
    ensure("read:users" in answer.get("scope", "").split(), f"read:users in {answer.get('scope')!r}")
    c = claims(answer["access_token"])
    expect(c.get("sub"), f"{CLIENT_ID}@clients", "sub")
    expect(c.get("gty"), "client-credentials", "gty")
    expect(c.get("iss"), ISSUER, "iss")

    wrong = raises_auth0_error(get_token("not-the-secret").client_credentials, MANAGEMENT_AUDIENCE)
    expect(wrong.status_code, 401, "status with a wrong secret")
    expect(wrong.error_code, "invalid_client", "error_code with a wrong secret")
    return {"sub": c["sub"]}


def guardian_logs() -> dict:
    """Guardian.all_factors and Logs.search (q, include_totals, from/take) with a real token."""
    token = management_token()
    factors = Guardian(DOMAIN, token, protocol="http").all_factors()
    ensure(isinstance(factors, list), f"a list of factors, not {factors!r}")
    sms = [f for f in factors if f.get("name") == "sms"]
    ensure(sms, f"an sms factor in {factors!r}")
    expect(sms[0].get("enabled"), True, "sms enabled")

    user = "py-logs@example.com"
    for _ in range(2):
        raises_auth0_error(get_token().login, user, "pw-2", realm=DATABASE)
    logs = Logs(DOMAIN, token, protocol="http")
    # The SDK sends include_totals=true by default: Auth0 answers a page object.
    page = logs.search(q=f'type:mfar AND user_name:"{user}"')
    ensure(isinstance(page, dict), f"a page with totals, not {page!r}")
    expect(page.get("total"), 2, "total")
    expect(page.get("length"), 2, "length")
    expect(page.get("start"), 0, "start")
    expect(page.get("limit"), 50, "limit (the SDK's per_page)")
    events = page["logs"]
    expect([e["type"] for e in events], ["mfar", "mfar"], "types")
    expect({e["user_name"] for e in events}, {user}, "user_name")
    expect({e["client_id"] for e in events}, {CLIENT_ID}, "client_id")

    seccft = logs.search(q="type:seccft", include_totals=False)
    ensure(isinstance(seccft, list) and seccft, f"seccft events, not {seccft!r}")
    ensure(all(e["type"] == "seccft" for e in seccft), "only seccft")
    ensure(any(e.get("client_id") == CLIENT_ID for e in seccft), "this client's token was logged")

    # Checkpoint paging: from a log_id forward, ascending; include_totals is ignored.
    newer, older = events
    ensure(older["log_id"] < newer["log_id"], "newest first")
    after = logs.search(from_param=older["log_id"], take=100)
    ensure(isinstance(after, list), f"a list with from/take, not {after!r}")
    ids = [e["log_id"] for e in after]
    ensure(newer["log_id"] in ids, "the newer mfar follows the older")
    ensure(all(i > older["log_id"] for i in ids), "only later events")
    expect(ids, sorted(ids), "ascending")
    expect(len(logs.search(from_param=older["log_id"], take=1)), 1, "take=1")
    return {"factors": [f["name"] for f in factors], "mfar": len(events)}


def passwordless() -> dict:
    """Passwordless.sms, then GetToken.passwordless_login with the inbox's code and
    scope openid; the ID token verified with the SDK's TokenVerifier over http."""
    phone = "+15555550151"
    started = Passwordless(DOMAIN, CLIENT_ID, client_secret=CLIENT_SECRET, protocol="http").sms(phone)
    ensure(isinstance(started, dict), f"a JSON answer, not {started!r}")
    ensure(isinstance(started.get("_id"), str) and started["_id"], f"an _id in {started!r}")
    expect(started.get("phone_number"), phone, "phone_number")
    expect(started.get("phone_verified"), False, "phone_verified")
    ensure("request_language" in started, "request_language present")
    expect(started["request_language"], None, "request_language (requests sends no Accept-Language)")
    code = latest_code(phone)

    wrong = "000000" if code != "000000" else "111111"
    refused = raises_auth0_error(get_token().passwordless_login, phone, wrong, "sms", "openid", None)
    expect(refused.status_code, 403, "status for a wrong code")
    expect(refused.error_code, "invalid_grant", "error_code for a wrong code")

    tokens = get_token().passwordless_login(phone, code, "sms", "openid profile", None)
    expect(tokens.get("token_type"), "Bearer", "token_type")
    ensure(isinstance(tokens.get("id_token"), str), f"an id_token for scope openid in {list(tokens)}")
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{BASE}/.well-known/jwks.json"),
        issuer=ISSUER,
        audience=CLIENT_ID,
        leeway=60,
    )
    id_claims = verifier.verify(tokens["id_token"])
    ensure(id_claims["sub"].startswith("sms|"), f"an sms| subject, not {id_claims['sub']!r}")
    expect(claims(tokens["access_token"]).get("sub"), id_claims["sub"], "access token sub")

    spent = raises_auth0_error(get_token().passwordless_login, phone, code, "sms", "openid", None)
    expect(spent.error_code, "invalid_grant", "the code is spent")

    logs = Logs(DOMAIN, management_token(), protocol="http")
    cs = logs.search(q=f'type:cs AND user_name:"{phone}"', include_totals=False)
    expect([e["type"] for e in cs], ["cs"], "one cs (code sent) event")
    expect(cs[0].get("client_id"), CLIENT_ID, "cs client_id")
    return {"sub": id_claims["sub"], "id": started["_id"]}


def users() -> dict:
    """Users.list by phone_number (v3), Users.get, Users.get_authentication_methods."""
    phone = "+15555550152"
    sub = claims(sign_in_by_sms(phone)["access_token"])["sub"]
    api = Users(DOMAIN, management_token(), protocol="http")

    found = api.list(q=f'phone_number:"{phone}"', search_engine="v3", include_totals=False)
    ensure(isinstance(found, list), f"a list of users, not {found!r}")
    expect(len(found), 1, "users found")
    user = found[0]
    expect(user.get("user_id"), sub, "user_id (the user who signed in)")
    ensure(user["user_id"].startswith("sms|"), "an sms| user")
    expect(user.get("phone_number"), phone, "phone_number")
    identities = user.get("identities") or []
    expect(len(identities), 1, "identities")
    identity = identities[0]
    expect(
        {k: identity.get(k) for k in ("connection", "provider", "user_id", "isSocial")},
        {"connection": "sms", "provider": "sms", "user_id": sub[len("sms|"):], "isSocial": False},
        "identity",
    )
    expect(api.list(q='phone_number:"+15555550199"', search_engine="v3", include_totals=False), [], "no match")

    one = api.get(sub)
    expect(one.get("user_id"), sub, "Users.get user_id")
    expect(one.get("phone_number"), phone, "Users.get phone_number")

    methods = api.get_authentication_methods(sub)
    ensure(isinstance(methods, list), f"a list of authentication methods, not {methods!r}")
    return {"user_id": sub, "methods": len(methods)}


def users_include_totals() -> dict:
    """Users.list as the SDK calls it by default (include_totals=true, page 0, 25 a
    page): Auth0 answers {users, start, limit, length, total}."""
    phone = "+15555550153"
    sub = claims(sign_in_by_sms(phone)["access_token"])["sub"]
    page = Users(DOMAIN, management_token(), protocol="http").list(
        q=f'phone_number:"{phone}"', search_engine="v3"
    )
    ensure(isinstance(page, dict), f"a page with totals, not {page!r}")
    expect([u.get("user_id") for u in page.get("users", [])], [sub], "users")
    expect(
        {k: page.get(k) for k in ("start", "limit", "length", "total")},
        {"start": 0, "limit": 25, "length": 1, "total": 1},
        "totals",
    )
    return {"user_id": sub}


SCENARIOS = {
    "password-mfa": password_mfa,
    "client-credentials": client_credentials,
    "guardian-logs": guardian_logs,
    "passwordless": passwordless,
    "users": users,
    "users-include-totals": users_include_totals,
}


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: auth0_sdk.py {{{'|'.join(SCENARIOS)}}}")
    print(json.dumps(SCENARIOS[sys.argv[1]]()))


if __name__ == "__main__":
    main()
