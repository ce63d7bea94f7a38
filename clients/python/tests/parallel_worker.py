"""One parallel worker, a process of its own (started by test_parallel.py with the
server's URL and the shared phone as arguments): makes its own tenant, holds a wait
on the shared phone narrowed to that tenant, prints ``ready TENANT``, and on a
``go`` line signs a user in through phone MFA on that same phone. Prints ``done
TENANT MESSAGE_ID`` and exits 0 only if every code it saw was its own tenant's."""

from __future__ import annotations

import sys
import threading
from typing import Any

from phonebox_client import Phonebox


def main(url: str, phone: str) -> None:
    admin = Phonebox(url)
    tenant = admin.create_tenant()["id"]
    mine = admin.for_tenant(tenant)
    seen: list[Any] = []
    held = threading.Thread(target=lambda: seen.append(mine.wait_for_message(phone, timeout=20)))
    held.start()
    print("ready", tenant, flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit("no go")
    signed_in = mine.mfa_sign_in("same@example.com", phone)
    held.join()
    assert seen and seen[0]["tenant"] == tenant, f"the held wait got another tenant's message: {seen}"
    assert seen[0]["id"] == signed_in.message["id"], "the held wait and the sign-in saw the same message"
    assert signed_in.message["to"] == phone
    assert signed_in.tokens["access_token"], "the mfa-oob grant took the code"
    ids = [m["id"] for m in mine.messages(to=phone)["messages"]]
    assert ids == [seen[0]["id"]], f"one message in this tenant, not {ids}"
    admin.delete_tenant(tenant)
    print("done", tenant, seen[0]["id"], flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
