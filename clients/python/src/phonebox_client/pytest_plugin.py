"""pytest fixtures, loaded by pytest itself once phonebox-client is installed:

- ``phonebox``: a client narrowed to this test's tenant;
- ``phonebox_tenant``: a tenant of this test's own, dropped (with its users and
  messages) after the test;
- ``phonebox_phone``: a phone number no other test in this process got;
- ``phonebox_url``: where Phonebox listens (``--phonebox-url``, else
  ``PHONEBOX_URL``, else ``http://127.0.0.1:7676``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ._client import DEFAULT_URL, Phonebox
from ._phone import fresh_phone
from ._types import Tenant


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("phonebox").addoption(
        "--phonebox-url",
        default=None,
        help="where Phonebox listens (default: PHONEBOX_URL, else http://127.0.0.1:7676)",
    )


@pytest.fixture(scope="session")
def phonebox_url(request: pytest.FixtureRequest) -> str:
    """Where Phonebox listens."""
    option = request.config.getoption("--phonebox-url")
    return str(option or os.environ.get("PHONEBOX_URL") or DEFAULT_URL)


@pytest.fixture
def phonebox_tenant(phonebox_url: str) -> Iterator[Tenant]:
    """A tenant of this test's own, dropped with everything it owns afterwards."""
    admin = Phonebox(phonebox_url)
    tenant = admin.create_tenant()
    try:
        yield tenant
    finally:
        admin.delete_tenant(tenant["id"])


@pytest.fixture
def phonebox_phone() -> str:
    """A phone number no other test in this process got."""
    return fresh_phone()


@pytest.fixture
def phonebox(phonebox_url: str, phonebox_tenant: Tenant) -> Phonebox:
    """A client narrowed to this test's tenant."""
    return Phonebox(phonebox_url, tenant=phonebox_tenant["id"])
