"""llmcost run on a terminal (a pty for stdout and stderr), as a person runs it: what appears on
the screen is read as it comes, so a test can wait for a progress text, then act (Ctrl-C)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

from tests.conftest import ROOT

# cursor moves, erase-line and colour codes rich writes to a terminal
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


class PtySession:
    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
                 columns: int = 100) -> None:
        import pty

        leader, follower = pty.openpty()
        self.leader = leader
        env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm-256color", **(env or {})}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "llmcost", *args], stdin=subprocess.DEVNULL,
                                     stdout=follower, stderr=follower, cwd=cwd, env=env)
        os.close(follower)
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with suppress(OSError):  # EIO once the process has gone
            while chunk := os.read(self.leader, 65536):
                with self._lock:
                    self._raw += chunk

    @property
    def raw(self) -> str:
        with self._lock:
            return self._raw.decode("utf-8", "replace")

    @property
    def text(self) -> str:
        """What was written, escape sequences removed (frames of a live display run together)."""
        return _ESCAPES.sub("", self.raw)

    def wait_for(self, pattern: str, timeout: float = 300) -> bool:
        """True once `pattern` (a regex) appeared; False when the process ended or time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.text):
                return True
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)
                return bool(re.search(pattern, self.text))
            time.sleep(0.05)
        return False

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=30)
        with suppress(OSError):
            os.close(self.leader)
        return code
