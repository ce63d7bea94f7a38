"""Eight worker processes on one server, each with its own tenant and all on the SAME
phone number, five rounds: every wait is held before any code is sent, then all
sign in at once, and each must get its own tenant's code."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from phonebox_client import Phonebox, fresh_phone
from server import Server
from test_client import until_held_waits

WORKER = Path(__file__).with_name("parallel_worker.py")
WORKERS = 8
ROUNDS = 5


def test_eight_worker_processes_each_with_its_own_tenant_on_one_phone_number_five_rounds_no_cross_talk() -> None:
    # A server of its own: the held-wait count must be this test's alone.
    server = Server()
    phone = fresh_phone()
    times = []
    try:
        phonebox = Phonebox(server.base)
        for _ in range(ROUNDS):
            started = time.monotonic()
            workers = [
                subprocess.Popen(
                    [sys.executable, str(WORKER), server.base, phone],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                )
                for _ in range(WORKERS)
            ]
            tenants = []
            for worker in workers:
                assert worker.stdout is not None
                line = worker.stdout.readline().split()
                # A worker that died before it was ready ends its output: fail, don't hang.
                assert line[:1] == ["ready"], f"worker exited with {worker.wait()}: {worker.communicate()[1]}"
                tenants.append(line[1])
            assert len(set(tenants)) == WORKERS, "eight distinct tenants"
            # Every worker's wait has reached the server before any code is sent.
            until_held_waits(phonebox, WORKERS)
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write("go\n")
                worker.stdin.flush()
            reports = []
            for worker in workers:
                out, err = worker.communicate(timeout=30)
                assert worker.returncode == 0, f"worker exited with {worker.returncode}:\n{err}"
                reports.append(out.split())
            assert sorted(r[1] for r in reports) == sorted(tenants)
            assert len({r[2] for r in reports}) == WORKERS, "eight distinct messages"
            times.append(time.monotonic() - started)
        # Each worker dropped its tenant, and with it its messages.
        assert phonebox.messages(to=phone)["messages"] == []
    finally:
        assert server.stop() == 0
    rounds = ", ".join(f"{t:.2f}" for t in times)
    summary = f"{ROUNDS} rounds of {WORKERS} worker processes (start to exit), s: {rounds}; total {sum(times):.2f}"
    runs = os.environ.get("PHONEBOX_PYTEST_RUNS")
    if runs:  # the conftest prints it at the end, whichever xdist worker ran this
        (Path(runs) / "rounds").write_text(summary)
