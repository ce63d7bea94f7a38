"""A real ``phonebox serve`` for these tests: port 0, a temporary database, the
secrets in a plain file (never the developer's keyring), stopped with SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("PHONEBOX_BIN", ROOT / "target" / "debug" / "phonebox"))


class Server:
    """A running ``phonebox serve``; ``base`` is its URL."""

    def __init__(self) -> None:
        if not BIN.exists():
            raise RuntimeError(f"{BIN} is missing: run `cargo build --bin phonebox` (make test does)")
        self._dir = tempfile.mkdtemp(prefix="phonebox-py-")
        env = {**os.environ, "PHONEBOX_LOG": "info", "NO_COLOR": "1", "PHONEBOX_SECRETS_STORE": "file"}
        self._process = subprocess.Popen(
            [str(BIN), "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(self._dir, "phonebox.db")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []

        def drain() -> None:
            # Read to the end, so a chatty server never blocks on a full pipe.
            assert self._process.stdout is not None
            for line in self._process.stdout:
                self.output.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        while True:
            line = lines.get(timeout=30)
            if line is None:
                raise RuntimeError(f"phonebox exited with {self._process.wait()}:\n{''.join(self.output)}")
            match = re.search(r"Phonebox listening addr=(\S+)", line)
            if match:
                self.base = f"http://{match.group(1)}"
                return

    def stop(self) -> int:
        """Stops the server and removes its database; its exit code."""
        self._process.terminate()
        code = self._process.wait(timeout=30)
        shutil.rmtree(self._dir, ignore_errors=True)
        return code
