"""One real ``phonebox serve`` for the whole run, started by the process that runs
pytest (with ``-n 8``, the xdist controller) before any worker, which find it
through ``PHONEBOX_URL``; and a file where the parallel tests note which worker
process ran each of them, checked at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from server import Server

SERVER = pytest.StashKey[Server]()
RUNS = pytest.StashKey[Path]()
SUMMARY = pytest.StashKey[str]()


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if not _is_controller(config):
        return
    server = Server()
    config.stash[SERVER] = server
    os.environ["PHONEBOX_URL"] = server.base
    runs = Path(tempfile.mkdtemp(prefix="phonebox-pytest-"))
    config.stash[RUNS] = runs
    os.environ["PHONEBOX_PYTEST_RUNS"] = str(runs)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not _is_controller(config) or RUNS not in config.stash:
        return
    record = config.stash[RUNS] / "parallel"
    lines = record.read_text().split() if record.exists() else []
    rows = [lines[i : i + 2] for i in range(0, len(lines), 2)]
    pids = {pid for pid, _ in rows}
    tenants = {tenant for _, tenant in rows}
    summary = []
    if rows:
        summary.append(f"fixture tests on one phone: {len(rows)} in {len(pids)} worker processes, {len(tenants)} tenants")
        workers = getattr(config.option, "numprocesses", None)
        if workers == 8 and len(rows) == 40 and (len(pids) != 8 or len(tenants) != 40):
            summary[-1] += ": expected 8 worker processes and 40 tenants"
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    rounds = config.stash[RUNS] / "rounds"
    if rounds.exists():
        summary.append(rounds.read_text())
    config.stash[SUMMARY] = "\n".join(summary)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for line in config.stash.get(SUMMARY, "").splitlines():
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    if SERVER in config.stash:
        code = config.stash[SERVER].stop()
        if code != 0:
            raise RuntimeError(f"phonebox exited with {code} on SIGTERM")
    if RUNS in config.stash:
        shutil.rmtree(config.stash[RUNS], ignore_errors=True)
