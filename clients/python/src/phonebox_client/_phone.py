"""Fictional numbers for tests."""

from __future__ import annotations

import os
import secrets
import threading

_SPAN = 10_000_000
_lock = threading.Lock()
_next: int | None = None


def fresh_phone() -> str:
    """A phone number no other call in this process has returned: ``+1 555`` and
    seven digits.

    Nobody is reachable at +1 555 numbers (libphonenumber calls them invalid;
    Phonebox accepts them, as it does every number of a possible length). Each
    process starts at a random point and counts up, so parallel workers rarely meet;
    give each worker its own tenant and they can share a number safely anyway.
    """
    global _next
    with _lock:
        if _next is None:
            _next = secrets.randbelow(_SPAN)
        digits = f"{_next:07d}"
        _next = (_next + 1) % _SPAN
    return f"+1555{digits}"


def _forget_in_child() -> None:
    # A forked child (multiprocessing, a forking test runner) starts afresh rather
    # than repeat its parent's numbers.
    global _next, _lock
    _next = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_in_child)
