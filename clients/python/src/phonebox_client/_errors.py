"""What the client raises."""

from __future__ import annotations

from typing import Any

from ._types import SendFailure


class PhoneboxError(Exception):
    """Phonebox refused a call, could not be reached, or answered in a shape it never uses.

    ``status`` is the HTTP status (0 when the server could not be reached); ``code``
    the server's error kind (``no_message``, ``bad_parameter``, ``not_found``...) or
    ``unreachable`` / ``unexpected_answer`` from this client; ``field`` the request
    field at fault, when the server names one.
    """

    def __init__(self, message: str, *, status: int, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


class NoMessageError(PhoneboxError):
    """A wait ended with no message; ``failure`` is the send that failed meanwhile, when
    Phonebox knows of one (a provider error, the built-in provider's cap...)."""

    def __init__(self, message: str, failure: SendFailure | None) -> None:
        super().__init__(message, status=404, code="no_message")
        self.failure = failure


class Auth0Error(Exception):
    """The emulated Auth0 tenant answered an error, in Auth0's ``{error, error_description}``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error")
        description = body.get("error_description")
        self.status = status
        self.error: str = error if isinstance(error, str) else "unknown_error"
        self.description: str = description if isinstance(description, str) else ""
        self.body = body
        suffix = f": {self.description}" if self.description else ""
        super().__init__(f"{status} {self.error}{suffix}")
