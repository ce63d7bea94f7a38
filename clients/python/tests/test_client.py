"""The client's calls against a real ``phonebox serve`` (the installed package, as a
user imports it)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from phonebox_client import Auth0Error, NoMessageError, Phonebox, PhoneboxError, fresh_phone
from server import Server


@pytest.fixture
def admin() -> Phonebox:
    return Phonebox()


def call(method: str, url: str, body: Any = None, *, form: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """A raw request: status and JSON body."""
    headers = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["content-type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    return status, json.loads(raw) if raw else None


def enroll(phonebox: Phonebox, tenant: str, email: str, phone: str) -> Any:
    """A password login in ``tenant`` and the association of ``phone``: the enrollment SMS is sent."""
    base = phonebox.tenant_url(tenant)
    _, login = call("POST", f"{base}/oauth/token",
                    form={"grant_type": "password", "username": email, "password": "pw", "client_id": "my-app"})
    status, associated = call(
        "POST", f"{base}/mfa/associate",
        {"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": phone},
        headers={"authorization": f"Bearer {login['mfa_token']}"},
    )
    assert status == 200, associated
    return associated


def capture(phonebox: Phonebox, to: str, text: str) -> Any:
    """A message straight into the default tenant's inbox, as an Action would post it."""
    status, body = call("POST", f"{phonebox.url}/capture/auth0/custom-phone-provider", {"recipient": to, "text": text})
    assert status == 201, body
    return body


def held_waits(phonebox: Phonebox) -> int:
    return int(call("GET", f"{phonebox.url}/emulator/v1/health")[1]["held_waits"])


def until_held_waits(phonebox: Phonebox, n: int) -> None:
    """Returns once the server holds ``n`` waits, asking every 10 ms."""
    deadline = time.monotonic() + 10
    while held_waits(phonebox) < n:
        assert time.monotonic() < deadline, f"the server never held {n} waits"
        time.sleep(0.01)


@pytest.fixture
def tenant(admin: Phonebox) -> Iterator[str]:
    made = admin.create_tenant()
    yield made["id"]
    admin.delete_tenant(made["id"])


@pytest.fixture
def own_server() -> Iterator[Server]:
    """A server no other test uses: for what is server-wide (the held-wait count,
    the clock, chaos rules) while other tests run at the same time (pytest -n 8)."""
    server = Server()
    yield server
    assert server.stop() == 0


def test_wait_for_code_answers_a_code_already_there_at_once_and_with_after_only_a_newer_one(
    own_server: Server,
) -> None:
    phonebox = Phonebox(own_server.base)
    tenant = phonebox.create_tenant()["id"]
    scoped = phonebox.for_tenant(tenant)
    phone = fresh_phone()
    enroll(phonebox, tenant, "ann@example.com", phone)
    first = scoped.wait_for_message(phone, timeout=0)
    assert scoped.wait_for_code(phone, timeout=0) == first["code"]
    got: list[Any] = []
    waiting = threading.Thread(target=lambda: got.append(scoped.wait_for_message(phone, after=first["id"], timeout=10)))
    waiting.start()
    until_held_waits(phonebox, 1)
    enroll(phonebox, tenant, "bob@example.com", phone)
    waiting.join()
    assert got[0]["id"] != first["id"]
    assert got[0]["user_id"] != first["user_id"]
    assert scoped.latest(phone) == got[0]


def test_a_wait_that_sees_nothing_raises_no_message_error_naming_the_phone_and_the_tenant(admin: Phonebox) -> None:
    phone = fresh_phone()
    assert admin.latest(phone) is None
    with pytest.raises(NoMessageError) as raised:
        admin.wait_for_code(phone, tenant="nobody", timeout=0.3)
    err = raised.value
    assert isinstance(err, PhoneboxError)
    assert (err.status, err.code, err.failure) == (404, "no_message", None)
    assert str(err) == f"no message to {phone} (tenant nobody) within 0.3 s"


def test_a_wait_narrowed_to_a_tenant_takes_that_tenants_code_not_anothers_on_the_same_phone(admin: Phonebox) -> None:
    phone = fresh_phone()
    mine, other = admin.create_tenant()["id"], admin.create_tenant()["id"]
    scoped = admin.for_tenant(mine)
    got: list[Any] = []
    waiting = threading.Thread(target=lambda: got.append(scoped.wait_for_message(phone, timeout=10)))
    waiting.start()
    enroll(admin, other, "same@example.com", phone)
    enroll(admin, mine, "same@example.com", phone)
    waiting.join()
    assert got[0]["tenant"] == mine
    assert got[0]["purpose"] == "otp_enroll"
    other_latest = admin.latest(phone, tenant=other)
    assert other_latest is not None and other_latest["tenant"] == other
    admin.delete_tenant(mine)
    admin.delete_tenant(other)


def test_a_send_that_failed_is_named_in_the_no_message_error(admin: Phonebox, tenant: str) -> None:
    status, _ = call("PATCH", f"{admin.url}/emulator/v1/tenants/{tenant}", {"settings": {"limits": {"builtin_lifetime": 0}}})
    assert status == 200
    phone = fresh_phone()
    enroll(admin, tenant, "capped@example.com", phone)
    with pytest.raises(NoMessageError) as raised:
        admin.wait_for_code(phone, tenant=tenant, timeout=0.2)
    assert raised.value.failure is not None
    assert raised.value.failure["type"] == "gd_send_sms_failure"
    assert re.search(r": the last send to it failed: .*built-in phone provider.* \(gd_send_sms_failure\)$", str(raised.value))


def test_messages_lists_newest_first_narrowed_by_tenant_and_user_and_clear_deletes_only_what_it_names(
    admin: Phonebox, tenant: str
) -> None:
    scoped = admin.for_tenant(tenant)
    a, b = fresh_phone(), fresh_phone()
    enroll(admin, tenant, "ann@example.com", a)
    enroll(admin, tenant, "bob@example.com", b)
    capture(admin, a, "Your code is 333333")
    page = scoped.messages()
    assert [m["to"] for m in page["messages"]] == [b, a], "the default tenant's capture is left out"
    assert page["next_cursor"] is None
    ann = page["messages"][1]["user_id"]
    assert [m["user_id"] for m in scoped.messages(user_id=ann)["messages"]] == [ann]
    first = scoped.messages(limit=1)
    assert first["messages"][0]["to"] == b
    assert first["next_cursor"] is not None
    assert scoped.messages(limit=1, before=first["next_cursor"])["messages"][0]["to"] == a
    assert scoped.clear(to=b) == 1
    assert scoped.clear() == 1
    assert scoped.messages()["messages"] == []
    kept = admin.latest(a)
    assert kept is not None and kept["code"] == "333333", "the default tenant's message stays"


def test_create_tenant_makes_a_fresh_tenant_or_the_one_asked_for_and_delete_tenant_drops_it_with_its_messages(
    admin: Phonebox,
) -> None:
    fresh = admin.create_tenant()
    assert re.fullmatch(r"t-[a-z0-9]{10}", fresh["id"])
    assert fresh["domain"] == f"{admin.url}/t/{fresh['id']}" == admin.tenant_url(fresh["id"])
    assert admin.tenant_url("default") == admin.url
    named = admin.create_tenant("acme-py", friendly_name="Acme")
    assert (named["id"], named["friendly_name"]) == ("acme-py", "Acme")
    with pytest.raises(PhoneboxError) as taken:
        admin.create_tenant("acme-py")
    assert taken.value.status == 409
    enroll(admin, fresh["id"], "gone@example.com", fresh_phone())
    admin.delete_tenant(fresh["id"])
    assert admin.messages(tenant=fresh["id"])["messages"] == []
    with pytest.raises(PhoneboxError) as again:
        admin.delete_tenant(fresh["id"])
    assert (again.value.status, again.value.code) == (404, "not_found")
    admin.delete_tenant("acme-py")


def test_reset_tenant_puts_a_tenants_counters_back_to_zero(admin: Phonebox, tenant: str) -> None:
    enroll(admin, tenant, "count@example.com", fresh_phone())

    def used() -> int:
        return int(call("GET", f"{admin.url}/emulator/v1/limits?tenant={tenant}")[1]["builtin_provider"]["used"])

    assert used() == 1
    admin.reset_tenant(tenant)
    assert used() == 0


def test_the_clock_advances_and_resets(own_server: Server) -> None:
    phonebox = Phonebox(own_server.base)
    assert phonebox.clock.now()["offset_ms"] == 0
    assert phonebox.clock.advance("1h")["offset_ms"] == 3_600_000
    assert phonebox.clock.advance(90)["offset_ms"] == 3_690_000, "a number is seconds"
    assert phonebox.clock.advance(timedelta(seconds=30))["offset"] == "1h 2m"
    assert phonebox.clock.reset()["offset_ms"] == 0
    with pytest.raises(PhoneboxError) as bad:
        phonebox.clock.advance("soon")
    assert (bad.value.status, bad.value.field) == (400, "by")


def test_a_tenants_clock_the_scoped_clients_by_default_moves_alone_on_top_of_the_global_clock(
    own_server: Server,
) -> None:
    phonebox = Phonebox(own_server.base)
    tenant = phonebox.create_tenant()["id"]
    scoped = phonebox.for_tenant(tenant)
    assert scoped.clock.advance("1h")["offset_ms"] == 3_600_000
    assert phonebox.clock.now()["offset_ms"] == 0, "the global clock stays"
    assert phonebox.clock.now(tenant=tenant)["offset_ms"] == 3_600_000
    phonebox.clock.advance("1h")
    assert scoped.clock.now()["offset_ms"] == 7_200_000, "the global clock moves every tenant"
    assert scoped.clock.reset()["offset_ms"] == 3_600_000, "back to the global clock"
    with pytest.raises(PhoneboxError) as unknown:
        phonebox.clock.now(tenant="no-such-tenant")
    assert unknown.value.status == 404


def test_chaos_set_makes_a_provider_answer_its_own_error_and_chaos_clear_removes_the_rule(
    own_server: Server,
) -> None:
    server = own_server
    phonebox = Phonebox(server.base)
    rule = phonebox.chaos.set("twilio", error="21611", times=1, latency_ms=1)
    assert rule == {"error": "21611", "probability": 1.0, "latency_ms": 1, "times": 1}
    assert phonebox.chaos.list()["rules"] == {"twilio": rule}
    account = "AC00000000000000000000000000000001"
    status, body = call(
        "POST", f"{server.base}/2010-04-01/Accounts/{account}/Messages.json",
        form={"To": fresh_phone(), "From": "+15005550006", "Body": "Your code is 424242"},
        headers={"authorization": "Basic " + base64.b64encode(f"{account}:token".encode()).decode()},
    )
    assert (status, body["code"]) == (400, 21611)
    phonebox.chaos.set("sns", error="Throttling", probability=0.5)
    phonebox.chaos.clear("sns")
    assert phonebox.chaos.list()["rules"] == {}, "times=1 spent the twilio rule; sns cleared"
    phonebox.chaos.set("vonage", latency_ms=5)
    phonebox.chaos.clear()
    assert phonebox.chaos.list()["rules"] == {}
    with pytest.raises(PhoneboxError) as bad:
        phonebox.chaos.set("twilio", probability=2)
    assert (bad.value.status, bad.value.field) == (400, "probability")


def test_mfa_sign_in_enrolls_a_new_users_phone_then_challenges_it_at_the_next_sign_in(
    admin: Phonebox, tenant: str
) -> None:
    scoped = admin.for_tenant(tenant)
    phone = fresh_phone()
    first = scoped.mfa_sign_in("pat@example.com", phone)
    assert first.enrolled
    assert first.message["tenant"] == tenant
    assert first.message["purpose"] == "otp_enroll"
    assert first.message["user_id"] == first.user_id
    assert first.code == first.message["code"]
    assert first.recovery_codes is not None and len(first.recovery_codes) == 1
    assert first.tokens["token_type"] == "Bearer"
    payload = first.tokens["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == first.user_id
    assert claims["iss"] == f"{admin.tenant_url(tenant)}/"

    second = scoped.mfa_sign_in("PAT@example.com", phone)
    assert not second.enrolled
    assert second.message["purpose"] == "otp_verify"
    assert second.user_id == first.user_id
    assert second.message["id"] != first.message["id"], "the new code, not the enrollment one"
    assert second.recovery_codes is None


def test_mfa_sign_in_reports_a_tenant_that_asks_for_no_mfa_and_the_tenants_auth0_error(
    admin: Phonebox, tenant: str
) -> None:
    scoped = admin.for_tenant(tenant)
    status, _ = call("PUT", f"{admin.tenant_url(tenant)}/api/v2/guardian/policies", b"[]",
                     headers={"authorization": "Bearer any"})
    assert status == 200
    with pytest.raises(PhoneboxError) as none:
        scoped.mfa_sign_in("lee@example.com", fresh_phone())
    assert none.value.code == "mfa_not_required"
    status, _ = call("PATCH", f"{admin.url}/emulator/v1/tenants/{tenant}", {"settings": {"permissive": False}})
    assert status == 200
    with pytest.raises(Auth0Error) as unknown:
        scoped.mfa_sign_in("nobody@example.com", fresh_phone())
    assert (unknown.value.status, unknown.value.error) == (403, "invalid_grant")
    assert str(unknown.value).startswith("403 invalid_grant: ")


def test_fresh_phone_gives_distinct_plus_1_555_numbers_that_phonebox_accepts_and_libphonenumber_calls_invalid(
    admin: Phonebox,
) -> None:
    phones = [fresh_phone() for _ in range(1000)]
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"\+1555\d{7}", p) for p in phones)
    capture(admin, phones[0], "Your code is 444444")
    listed = call("GET", f"{admin.url}/emulator/v1/phones?limit=500")[1]["phones"]
    assert [p["valid"] for p in listed if p["number"] == phones[0]] == [False]


def test_a_forked_process_does_not_repeat_its_parents_numbers() -> None:
    read, write = os.pipe()
    fresh_phone()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, fresh_phone().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    parents_next = fresh_phone()
    assert child != parents_next


def test_a_refused_parameter_names_its_field_and_an_unreachable_server_says_where_it_looked(admin: Phonebox) -> None:
    with pytest.raises(PhoneboxError) as bad:
        admin.wait_for_code("not a phone", timeout=0)
    assert (bad.value.status, bad.value.field) == (400, "number")
    with pytest.raises(PhoneboxError) as after:
        admin.latest(fresh_phone(), after="yesterday")
    assert after.value.field == "after"
    # A port held by a socket that never listens: nobody else can take it meanwhile.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{held.getsockname()[1]}"
        with pytest.raises(PhoneboxError) as unreachable:
            Phonebox(gone).messages()
    assert (unreachable.value.code, unreachable.value.status) == ("unreachable", 0)
    assert str(unreachable.value).startswith(f"cannot reach Phonebox at {gone}: ")


def test_the_url_comes_from_the_argument_else_phonebox_url_else_127_0_0_1_7676(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHONEBOX_URL")
    assert Phonebox().url == "http://127.0.0.1:7676"
    monkeypatch.setenv("PHONEBOX_URL", "http://localhost:9999/")
    assert Phonebox().url == "http://localhost:9999"
    assert Phonebox("http://127.0.0.1:1234").url == "http://127.0.0.1:1234"


def test_a_local_server_is_reached_without_the_environments_proxy(monkeypatch: pytest.MonkeyPatch, admin: Phonebox) -> None:
    # A proxy that does not exist: were it used, the call would fail.
    # (A fresh opener: urlopen's shared one would keep this proxy for later tests.)
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "")
    with pytest.raises(urllib.error.URLError):
        urllib.request.build_opener().open(f"{admin.url}/emulator/v1/health", timeout=10)  # urllib takes the proxy
    assert Phonebox(admin.url).messages(limit=1)["messages"] is not None


def test_a_wait_longer_than_a_minute_is_held_as_several_requests_of_at_most_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import phonebox_client._client as client_module

    now = [1000.0]
    waits: list[str] = []
    monkeypatch.setattr(client_module.time, "monotonic", lambda: now[0])
    phonebox = Phonebox("http://127.0.0.1:1")

    def fake_send(method: str, url: str, data: Any, headers: Any, timeout: float) -> Any:
        wait = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["wait"][0]
        waits.append(wait)
        assert timeout > int(wait[:-2]) / 1000, "the socket outlasts the held wait"
        now[0] += int(wait[:-2]) / 1000
        return client_module._Answer(404, {"error": "no_message", "message": "none"})

    monkeypatch.setattr(phonebox, "_send", fake_send)
    with pytest.raises(NoMessageError) as raised:
        phonebox.wait_for_code("+15550000000", timeout=150)
    assert waits == ["60000ms", "60000ms", "30000ms"]
    assert str(raised.value).endswith("within 150 s")
