"""A client of a running Phonebox: its /emulator/v1 API and the emulated Auth0
tenant's phone MFA, over the standard library's ``urllib`` alone."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from ._errors import Auth0Error, NoMessageError, PhoneboxError
from ._types import ChaosRule, ChaosRules, ClockView, Message, MessagesPage, SendFailure, Tenant, Tokens

DEFAULT_URL = "http://127.0.0.1:7676"
DEFAULT_TIMEOUT = 30.0
#: One held request waits at most this long (seconds); a longer wait is several in a row.
WAIT_SLICE = 60.0
#: How long a call that holds nothing may take (seconds).
REQUEST_TIMEOUT = 30.0
DEFAULT_CLIENT_ID = "phonebox-client"
DEFAULT_PASSWORD = "Phonebox-test-password-1"
MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"

After = str | datetime | int


@dataclass(frozen=True)
class MfaSignIn:
    """What :meth:`Phonebox.mfa_sign_in` went through."""

    #: The ``mfa-oob`` grant's answer.
    tokens: Tokens
    #: The code the phone received, as typed into the grant.
    code: str
    message: Message
    mfa_token: str
    #: The user the tenant signed in (None if the tenant did not list them).
    user_id: str | None
    #: True when this sign-in enrolled the phone; False when it challenged an enrolled one.
    enrolled: bool
    #: The recovery code Auth0 shows on a user's first enrollment.
    recovery_codes: list[str] | None


@dataclass
class _Answer:
    status: int
    body: Any


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Phonebox:
    """Talks to one Phonebox server, optionally narrowed to one tenant.

    ``url`` defaults to ``PHONEBOX_URL``, else ``http://127.0.0.1:7676``. With
    ``tenant``, every call that can be narrowed to a tenant is, unless it names
    another.
    """

    def __init__(self, url: str | None = None, *, tenant: str | None = None) -> None:
        self.url: str = (url or os.environ.get("PHONEBOX_URL") or DEFAULT_URL).rstrip("/")
        self.tenant: str | None = tenant
        # A local server is never reached through a proxy from the environment.
        if _is_loopback(urllib.parse.urlsplit(self.url).hostname):
            self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        else:
            self._opener = urllib.request.build_opener()
        self.clock = Clock(self)
        self.chaos = Chaos(self)

    def __repr__(self) -> str:
        return f"Phonebox({self.url!r}, tenant={self.tenant!r})"

    def for_tenant(self, tenant: str) -> Phonebox:
        """The same server, narrowed to ``tenant``."""
        return Phonebox(self.url, tenant=tenant)

    def tenant_url(self, tenant: str | None = None) -> str:
        """The base URL of an emulated tenant, what an app is given as its Auth0
        domain: the server itself for ``default``, else ``{url}/t/{tenant}``."""
        tenant = tenant if tenant is not None else self.tenant
        if tenant is None or tenant == "default":
            return self.url
        return f"{self.url}/t/{urllib.parse.quote(tenant, safe='')}"

    # -- messages --------------------------------------------------------------

    def latest(
        self,
        to: str,
        *,
        tenant: str | None = None,
        after: After | None = None,
        user_id: str | None = None,
        transaction_id: str | None = None,
    ) -> Message | None:
        """The newest message to ``to`` (newer than ``after``), or None if there is none."""
        answer = self._latest(to, 0.0, tenant, after, user_id, transaction_id)
        return cast(Message, answer.body) if answer.status == 200 else None

    def wait_for_message(
        self,
        to: str,
        *,
        tenant: str | None = None,
        after: After | None = None,
        user_id: str | None = None,
        transaction_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Message:
        """The newest message to ``to`` (newer than ``after``): at once if there is
        one, else the first to arrive within ``timeout`` seconds. Without ``after``, a
        message already there counts, so trigger the send first and wait after.
        Raises :class:`NoMessageError` (with the failed send, if one failed) when
        none comes."""
        if not timeout >= 0:
            raise ValueError(f"timeout must be a number of seconds, not {timeout!r}")
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            answer = self._latest(to, min(left, WAIT_SLICE), tenant, after, user_id, transaction_id)
            if answer.status == 200:
                return cast(Message, answer.body)
            if left <= WAIT_SLICE:
                failure = cast("SendFailure | None", answer.body.get("failure"))
                raise NoMessageError(
                    self._no_message(to, tenant, after, user_id, transaction_id, timeout, failure), failure
                )

    def wait_for_code(
        self,
        to: str,
        *,
        tenant: str | None = None,
        after: After | None = None,
        user_id: str | None = None,
        transaction_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> str:
        """The code of the message :meth:`wait_for_message` answers."""
        message = self.wait_for_message(
            to, tenant=tenant, after=after, user_id=user_id, transaction_id=transaction_id, timeout=timeout
        )
        return _code_of(message)

    def messages(
        self,
        *,
        to: str | None = None,
        tenant: str | None = None,
        user_id: str | None = None,
        transaction_id: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> MessagesPage:
        """A page of messages, newest first (``limit``: the server's default is 50,
        its most 500; ``before``: a page's ``next_cursor``)."""
        query = {
            "to": to,
            "tenant": tenant or self.tenant,
            "user_id": user_id,
            "transaction_id": transaction_id,
            "limit": limit,
            "before": before,
        }
        return cast(MessagesPage, self._emulator("GET", "/emulator/v1/messages", query=query).body)

    def clear(self, *, to: str | None = None, tenant: str | None = None, user_id: str | None = None) -> int:
        """Deletes messages (a phone's, a tenant's, a user's; all of them on a client
        with no tenant and no arguments); returns how many."""
        query = {"to": to, "tenant": tenant or self.tenant, "user_id": user_id}
        return int(self._emulator("DELETE", "/emulator/v1/messages", query=query).body["deleted"])

    # -- tenants ---------------------------------------------------------------

    def create_tenant(self, id: str | None = None, *, friendly_name: str | None = None) -> Tenant:
        """Makes a tenant (a fresh id ``t-…`` unless ``id`` is given): its own users,
        clients, counters, settings and messages."""
        body: dict[str, Any] = {"id": id}
        if friendly_name is not None:
            body["friendly_name"] = friendly_name
        return cast(Tenant, self._emulator("POST", "/emulator/v1/tenants", json_body=body).body)

    def delete_tenant(self, id: str) -> None:
        """Drops a tenant with everything it owns."""
        self._emulator("DELETE", f"/emulator/v1/tenants/{urllib.parse.quote(id, safe='')}")

    def reset_tenant(self, id: str) -> None:
        """Sets a tenant's counters back to zero (its users' rate-limit buckets, the
        built-in provider's count)."""
        self._emulator("POST", f"/emulator/v1/tenants/{urllib.parse.quote(id, safe='')}/reset")

    # -- Auth0 phone MFA ---------------------------------------------------------

    def mfa_sign_in(
        self,
        email: str,
        phone: str,
        *,
        password: str | None = None,
        client_id: str | None = None,
        scope: str | None = None,
        audience: str | None = None,
        tenant: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> MfaSignIn:
        """Signs a test user in through the tenant's phone MFA, as an app does with
        Auth0: password grant (``mfa_required``), then ``/mfa/associate`` for a user
        with no phone yet (or ``/mfa/challenge`` for one enrolled), the code from
        ``phone``'s inbox (narrowed to the tenant and the user), then the ``mfa-oob``
        grant.

        ``phone`` is the phone to enroll, or the one the user enrolled already.
        Permissive mode (the default) creates the user on first login and registers
        an unknown ``client_id`` (default ``phonebox-client``). The tenant is the
        client's, else ``default``."""
        tenant = tenant or self.tenant or "default"
        client_id = client_id or DEFAULT_CLIENT_ID
        form = {
            "grant_type": "password",
            "username": email,
            "password": password if password is not None else DEFAULT_PASSWORD,
            "client_id": client_id,
        }
        if scope is not None:
            form["scope"] = scope
        if audience is not None:
            form["audience"] = audience
        login = self._auth0(tenant, "/oauth/token", form=form)
        if login.status == 200:
            raise PhoneboxError(
                f"tenant {tenant} signed {email} in without MFA (its policy asks for none)",
                status=200,
                code="mfa_not_required",
            )
        mfa_token = login.body.get("mfa_token")
        if login.body.get("error") != "mfa_required" or not isinstance(mfa_token, str):
            raise Auth0Error(login.status, login.body)
        requirements = login.body.get("mfa_requirements") or {}
        enrolled = "challenge" not in requirements
        user_id = self._user_id(tenant, email)
        page = self.messages(to=phone, tenant=tenant, user_id=user_id, limit=1)
        before = page["messages"][0]["id"] if page["messages"] else None
        if enrolled:
            started = self._auth0(
                tenant,
                "/mfa/associate",
                bearer=mfa_token,
                json_body={
                    "client_id": client_id,
                    "authenticator_types": ["oob"],
                    "oob_channels": ["sms"],
                    "phone_number": phone,
                },
            )
        else:
            started = self._auth0(
                tenant,
                "/mfa/challenge",
                json_body={"client_id": client_id, "mfa_token": mfa_token, "challenge_type": "oob"},
            )
        oob_code = started.body.get("oob_code")
        if started.status != 200 or not isinstance(oob_code, str):
            raise Auth0Error(started.status, started.body)
        message = self.wait_for_message(phone, tenant=tenant, user_id=user_id, after=before, timeout=timeout)
        code = _code_of(message)
        grant = self._auth0(
            tenant,
            "/oauth/token",
            form={
                "grant_type": MFA_OOB,
                "client_id": client_id,
                "mfa_token": mfa_token,
                "oob_code": oob_code,
                "binding_code": code,
            },
        )
        if grant.status != 200:
            raise Auth0Error(grant.status, grant.body)
        return MfaSignIn(
            tokens=cast(Tokens, grant.body),
            code=code,
            message=message,
            mfa_token=mfa_token,
            user_id=user_id,
            enrolled=enrolled,
            recovery_codes=started.body.get("recovery_codes"),
        )

    # -- plumbing --------------------------------------------------------------

    def _latest(
        self,
        to: str,
        wait: float,
        tenant: str | None,
        after: After | None,
        user_id: str | None,
        transaction_id: str | None,
    ) -> _Answer:
        if isinstance(after, datetime):
            after = after.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        query = {
            "wait": f"{math.ceil(wait * 1000)}ms" if wait > 0 else None,
            "after": after,
            "tenant": tenant or self.tenant,
            "user_id": user_id,
            "transaction_id": transaction_id,
        }
        path = f"/emulator/v1/phones/{urllib.parse.quote(to, safe='')}/latest"
        return self._emulator("GET", path, query=query, no_message=True, timeout=wait + REQUEST_TIMEOUT)

    def _no_message(
        self,
        to: str,
        tenant: str | None,
        after: After | None,
        user_id: str | None,
        transaction_id: str | None,
        timeout: float,
        failure: SendFailure | None,
    ) -> str:
        tenant = tenant or self.tenant
        narrowed = [
            f"tenant {tenant}" if tenant is not None else "",
            f"user {user_id}" if user_id is not None else "",
            f"transaction {transaction_id}" if transaction_id is not None else "",
        ]
        of = ", ".join(n for n in narrowed if n)
        of = f" ({of})" if of else ""
        newer = "newer " if after is not None else ""
        why = ""
        if failure:
            why = f": the last send to it failed: {failure.get('description', '')} ({failure.get('type', '')})"
        return f"no {newer}message to {to}{of} within {timeout:g} s{why}"

    def _user_id(self, tenant: str, email: str) -> str | None:
        path = f"/emulator/v1/tenants/{urllib.parse.quote(tenant, safe='')}/users"
        wanted = email.lower()

        def find(query: dict[str, Any] | None) -> str | None:
            for user in self._emulator("GET", path, query=query).body:
                if (user.get("email") or "").lower() == wanted:
                    return cast(str, user["user_id"])
            return None

        # Narrowed by the server; a server without the filter answers every user,
        # and one whose filter finds none is asked for the whole list.
        return find({"email": email}) or find(None)

    def _emulator(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        json_body: Any = None,
        no_message: bool = False,
        timeout: float = REQUEST_TIMEOUT,
    ) -> _Answer:
        url = self.url + path
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if pairs:
            url += "?" + urllib.parse.urlencode(pairs)
        headers = {}
        data = None
        if json_body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(json_body).encode()
        answer = self._send(method, url, data, headers, timeout)
        if answer.status < 300:
            return answer
        body = answer.body
        if no_message and answer.status == 404 and body.get("error") == "no_message":
            return answer
        message = body.get("message") if isinstance(body.get("message"), str) else f"HTTP {answer.status}"
        raise PhoneboxError(
            f"{method} {path}: {message}",
            status=answer.status,
            code=body["error"] if isinstance(body.get("error"), str) else "http_error",
            field=body["field"] if isinstance(body.get("field"), str) else None,
        )

    def _auth0(
        self,
        tenant: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        json_body: Any = None,
        bearer: str | None = None,
    ) -> _Answer:
        headers = {}
        data = None
        if form is not None:
            headers["content-type"] = "application/x-www-form-urlencoded"
            data = urllib.parse.urlencode(form).encode()
        elif json_body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(json_body).encode()
        if bearer is not None:
            headers["authorization"] = f"Bearer {bearer}"
        answer = self._send("POST", self.tenant_url(tenant) + path, data, headers, REQUEST_TIMEOUT)
        if not isinstance(answer.body, dict):
            raise PhoneboxError(
                f"POST {path}: {answer.status} with a body that is not Auth0's JSON",
                status=answer.status,
                code="unexpected_answer",
            )
        return answer

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str], timeout: float) -> _Answer:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
            e.close()
        except (urllib.error.URLError, OSError) as e:
            reason = e.reason if isinstance(e, urllib.error.URLError) else e
            raise PhoneboxError(f"cannot reach Phonebox at {self.url}: {reason}", status=0, code="unreachable") from e
        if status == 204:
            return _Answer(204, {})
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, (dict, list)):
            snippet = raw[:200].decode("utf-8", "replace")
            raise PhoneboxError(
                f"{method} {urllib.parse.urlsplit(url).path}: {status} with a body that is not Phonebox's JSON: "
                f"{snippet}",
                status=status,
                code="unexpected_answer",
            )
        return _Answer(status, body)


class Clock:
    """The emulated clock. With a tenant (the client's by default), that tenant's own:
    it moves alone, on top of the global clock. Without one, the global clock, which
    moves every tenant."""

    def __init__(self, phonebox: Phonebox) -> None:
        self._phonebox = phonebox

    def now(self, *, tenant: str | None = None) -> ClockView:
        """What time it is."""
        return cast(ClockView, self._call("GET", "/emulator/v1/clock", tenant))

    def advance(self, by: str | float | timedelta, *, tenant: str | None = None) -> ClockView:
        """Moves the clock forward by ``by``: ``"1h"``, ``"90s"``, a number of
        seconds, or a ``timedelta``."""
        if isinstance(by, timedelta):
            by = by.total_seconds()
        text = by if isinstance(by, str) else f"{round(by * 1000)}ms"
        return cast(ClockView, self._call("POST", "/emulator/v1/clock/advance", tenant, {"by": text}))

    def reset(self, *, tenant: str | None = None) -> ClockView:
        """Back to real time."""
        return cast(ClockView, self._call("DELETE", "/emulator/v1/clock", tenant))

    def _call(self, method: str, path: str, tenant: str | None, body: Any = None) -> Any:
        query = {"tenant": tenant or self._phonebox.tenant}
        return self._phonebox._emulator(method, path, query=query, json_body=body).body


class Chaos:
    """Fault injection on the provider APIs (server-wide: every tenant sees it)."""

    def __init__(self, phonebox: Phonebox) -> None:
        self._phonebox = phonebox

    def set(
        self,
        provider: str,
        *,
        error: str | None = None,
        probability: float | None = None,
        latency_ms: int | None = None,
        times: int | None = None,
    ) -> ChaosRule:
        """Makes ``provider`` (``twilio``, ``sns``, ``vonage``...) answer its own
        ``error`` code with ``probability`` (default 1), and/or ``latency_ms`` late,
        for ``times`` more sends (default: until cleared)."""
        body: dict[str, Any] = {}
        for key, value in (("error", error), ("probability", probability), ("latency_ms", latency_ms), ("times", times)):
            if value is not None:
                body[key] = value
        path = f"/emulator/v1/chaos/{urllib.parse.quote(provider, safe='')}"
        return cast(ChaosRule, self._phonebox._emulator("PUT", path, json_body=body).body)

    def list(self) -> ChaosRules:
        """The rules in force."""
        return cast(ChaosRules, self._phonebox._emulator("GET", "/emulator/v1/chaos").body)

    def clear(self, provider: str | None = None) -> None:
        """Removes one provider's rule, or every rule."""
        path = "/emulator/v1/chaos" if provider is None else f"/emulator/v1/chaos/{urllib.parse.quote(provider, safe='')}"
        self._phonebox._emulator("DELETE", path)


def _code_of(message: Message) -> str:
    code = message.get("code")
    if code is None:
        raise PhoneboxError(
            f"the message to {message['to']} ({message['id']}) has no code: {message['text']!r}",
            status=200,
            code="no_code",
        )
    return code
