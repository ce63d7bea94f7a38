"""The shapes Phonebox answers with, field names as on the wire."""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class SendError(TypedDict):
    """A provider error a send ended with, in the provider's own terms."""

    code: str
    message: str


# ``from`` is a keyword, so it is declared the functional way.
_MessageFrom = TypedDict("_MessageFrom", {"from": "str | None"})


class Message(_MessageFrom):
    """A captured message (what ``latest``, lists and events carry)."""

    id: str
    tenant: str
    received_at: str
    channel: Literal["sms", "voice"]
    #: The receiver it came through: ``auth0.builtin``, ``twilio.messages``, ``aws.sns``...
    source: str
    to: str
    text: str
    #: The one-time code found in the text, if any.
    code: str | None
    action: str | None
    purpose: str | None
    locale: str | None
    user_id: str | None
    client_id: str | None
    status: Literal["received", "failed"]
    encoding: Literal["gsm7", "ucs2"]
    segments: int
    provider_message_id: str | None
    provider_account: str | None
    attributes: dict[str, Any] | None
    error: SendError | None


class MessagesPage(TypedDict):
    """``GET /emulator/v1/messages``: newest first."""

    messages: list[Message]
    #: Pass as ``before`` for the next page; None on the last.
    next_cursor: str | None


class SendFailure(TypedDict, total=False):
    """A send that failed (an Auth0 log event), as a wait that found nothing reports it."""

    type: str
    description: str
    date: str
    tenant: str


class Tenant(TypedDict):
    """An emulated tenant."""

    id: str
    friendly_name: str
    #: The tenant's base URL: what an Auth0 SDK or app is given as its domain.
    domain: str
    settings: dict[str, Any]


class ClockView(TypedDict):
    """The emulated clock."""

    now: str
    offset_ms: int
    offset: str


class ChaosRule(TypedDict):
    """A fault-injection rule as the server holds it."""

    error: str | None
    probability: float
    latency_ms: int
    times: int | None


class ChaosRules(TypedDict):
    """``GET /emulator/v1/chaos``."""

    rules: dict[str, ChaosRule]
    providers: list[str]


class Tokens(TypedDict, total=False):
    """The emulated tenant's token answer."""

    access_token: str
    id_token: str
    scope: str
    expires_in: int
    token_type: str
