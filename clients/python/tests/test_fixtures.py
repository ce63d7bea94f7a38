"""The pytest fixtures: eight tests on ONE phone number, five times over (40 tests),
which ``make test-clients`` runs with ``-n 8`` (eight xdist worker processes; the
conftest checks that eight ran them). Every test has its own tenant from
``phonebox_tenant``, and every code it waits for must be its own tenant's."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from phonebox_client import Phonebox, Tenant

SHARED_PHONE = "+15555550142"


@pytest.mark.parametrize("n", range(1, 9))
@pytest.mark.parametrize("round_", range(1, 6))
def test_a_test_on_the_shared_phone_gets_its_own_tenants_code(
    phonebox: Phonebox, phonebox_tenant: Tenant, round_: int, n: int
) -> None:
    seen: list[Any] = []
    held = threading.Thread(target=lambda: seen.append(phonebox.wait_for_message(SHARED_PHONE, timeout=20)))
    held.start()
    signed_in = phonebox.mfa_sign_in("same@example.com", SHARED_PHONE)
    held.join()
    assert seen[0]["tenant"] == phonebox_tenant["id"]
    assert seen[0]["id"] == signed_in.message["id"]
    assert len(phonebox.messages(to=SHARED_PHONE)["messages"]) == 1
    runs = os.environ.get("PHONEBOX_PYTEST_RUNS")
    if runs:
        with open(Path(runs) / "parallel", "a") as record:
            record.write(f"{os.getpid()} {phonebox_tenant['id']}\n")


@pytest.fixture
def gone_afterwards(phonebox_url: str) -> Iterator[list[str]]:
    """Tenants that must not exist once the test's other fixtures are torn down
    (this one is set up first, so it is torn down last)."""
    tenants: list[str] = []
    yield tenants
    for tenant in tenants:
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{phonebox_url}/emulator/v1/tenants/{tenant}", timeout=10)
        assert missing.value.code == 404, f"tenant {tenant} outlived its test"


def test_the_tenant_is_dropped_after_the_test(gone_afterwards: list[str], phonebox_tenant: Tenant) -> None:
    gone_afterwards.append(phonebox_tenant["id"])


def test_phonebox_is_narrowed_to_the_tests_tenant_and_the_phone_is_fresh(
    phonebox: Phonebox, phonebox_tenant: Tenant, phonebox_phone: str, phonebox_url: str
) -> None:
    assert phonebox.tenant == phonebox_tenant["id"]
    assert phonebox.url == phonebox_url
    assert phonebox_tenant["domain"] == phonebox.tenant_url()
    assert phonebox_phone.startswith("+1555") and len(phonebox_phone) == 12
