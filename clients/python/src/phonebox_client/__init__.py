"""phonebox-client: wait for the codes Phonebox captures, a tenant per test, the clock,
fault injection and Auth0 phone MFA, over the standard library alone; with pytest
fixtures (``phonebox``, ``phonebox_tenant``, ``phonebox_phone``)."""

from ._client import Chaos, Clock, MfaSignIn, Phonebox
from ._errors import Auth0Error, NoMessageError, PhoneboxError
from ._phone import fresh_phone
from ._types import (
    ChaosRule,
    ChaosRules,
    ClockView,
    Message,
    MessagesPage,
    SendError,
    SendFailure,
    Tenant,
    Tokens,
)

__version__ = "0.1.0"

__all__ = [
    "Auth0Error",
    "Chaos",
    "ChaosRule",
    "ChaosRules",
    "Clock",
    "ClockView",
    "Message",
    "MessagesPage",
    "MfaSignIn",
    "NoMessageError",
    "Phonebox",
    "PhoneboxError",
    "SendError",
    "SendFailure",
    "Tenant",
    "Tokens",
    "fresh_phone",
]
