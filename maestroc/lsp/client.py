"""A small synchronous Language Server Protocol client over a subprocess's pipes.

It speaks JSON-RPC with ``Content-Length`` framing, as editors do, so the tests
and ``bench/lsp_bench.py`` drive ``maestroc lsp`` exactly as an editor would. A
reader thread queues what the server sends; requests from the server (e.g.
``workspace/configuration``) are answered with ``null``.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self


class LspError(RuntimeError):
    """The server answered a request with an error, or did not answer in time."""


class LspClient:
    """``with LspClient() as client: client.initialize(root); client.request(...)``."""

    def __init__(self, command: list[str] | None = None, cwd: str | None = None) -> None:
        self.process = subprocess.Popen(command or [sys.executable, "-m", "maestroc", "lsp"], cwd=cwd,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    self.inbox.put(None)
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is not None:
                self.inbox.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _next(self, deadline: float) -> dict[str, Any]:
        try:
            message = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            raise LspError("no answer from the server in time") from None
        if message is None:
            stderr = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
            raise LspError(f"the server exited: {stderr[-2000:]}")
        if "method" in message and "id" in message:  # a request from the server
            self._send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        return message

    def request(self, method: str, params: Any = None, timeout: float = 60.0) -> Any:
        """Send a request and wait for its result."""
        self.next_id += 1
        ident = self.next_id
        self._send({"id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise LspError(f"{method}: {message['error']}")
                return message.get("result")

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"method": method, "params": params})

    def wait_for(self, method: str, accept: Callable[[dict[str, Any]], bool] = lambda params: True,
                 timeout: float = 60.0) -> dict[str, Any]:
        """The params of the first notification ``method`` (already received or to come) that ``accept`` takes."""
        for index, message in enumerate(self.notifications):
            if message["method"] == method and accept(message.get("params")):
                return self.notifications.pop(index)["params"]
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("method") == method and "id" not in message and accept(message.get("params")):
                self.notifications.remove(message)
                return message["params"]

    def initialize(self, root: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.request("initialize", {"processId": None, "rootUri": root.resolve().as_uri(),
                                             "capabilities": {}, "initializationOptions": options or {}})
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "maestro", "version": version,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The next diagnostics published for ``uri`` (for ``version``, when given)."""
        params = self.wait_for("textDocument/publishDiagnostics",
                               lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
                               timeout)
        return params["diagnostics"]

    def close(self) -> int:
        """Shut the server down as an editor does (shutdown, exit) and return its exit status."""
        if self.process.poll() is None:
            try:
                self.request("shutdown", timeout=30)
                self.notify("exit")
            except (LspError, OSError):
                self.process.kill()
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()
