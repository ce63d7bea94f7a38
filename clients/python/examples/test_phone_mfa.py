import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from phonebox_client import Phonebox, Tenant


def test_a_new_user_enrolls_a_phone_and_signs_in_with_the_code_it_was_sent(
    phonebox: Phonebox, phonebox_phone: str
) -> None:
    signed_in = phonebox.mfa_sign_in("pat@example.com", phonebox_phone)
    assert signed_in.enrolled
    assert signed_in.code in signed_in.message["text"]
    assert signed_in.tokens["token_type"] == "Bearer"


def post(url: str, form: dict[str, str] | None = None, body: Any = None, token: str = "") -> tuple[int, Any]:
    """POSTs a form or JSON; the status and the JSON answer."""
    data = urllib.parse.urlencode(form).encode() if form else json.dumps(body).encode()
    headers = {"content-type": "application/x-www-form-urlencoded" if form else "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers)) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_the_same_mfa_step_by_step_as_an_app_asks_auth0(
    phonebox: Phonebox, phonebox_tenant: Tenant, phonebox_phone: str
) -> None:
    domain = phonebox_tenant["domain"]
    login = {"grant_type": "password", "username": "pat@example.com", "password": "pw", "client_id": "my-app"}
    _, mfa_required = post(f"{domain}/oauth/token", form=login)
    mfa_token = mfa_required["mfa_token"]
    phone = {"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": phonebox_phone}
    _, enrolled = post(f"{domain}/mfa/associate", body=phone, token=mfa_token)
    code = phonebox.wait_for_code(phonebox_phone)
    grant = {"grant_type": "http://auth0.com/oauth/grant-type/mfa-oob", "client_id": "my-app", "mfa_token": mfa_token}
    status, tokens = post(f"{domain}/oauth/token", form={**grant, "oob_code": enrolled["oob_code"], "binding_code": code})
    assert status == 200, tokens
