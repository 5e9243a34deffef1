"""A minimal OpenAI-compatible HTTP server on loopback, for testing the server path of the
adapter through lm-eval's real ``local-completions`` / ``local-chat-completions`` clients.

Its "model" is a function of the request, so a test knows every answer in advance; it records
each request body so a test can check what the client actually sent."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a reply (a timeout under load, then a retry) is the
        client's business: its broken pipe is not printed, where it would land in the stderr
        of whichever test was capturing at that moment. Anything else is printed as before."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def openai_stub(
    reply: Reply, fail_after: int | None = None, stall: float = 0.0
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve on 127.0.0.1 at a free port; yields the ``/v1`` base URL and the request log.
    After ``fail_after`` completion requests every further one gets a 503 (a server gone bad);
    ``stall``: seconds each completion request waits before its answer (a stalled server)."""
    requests: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0].rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(
                {"path": self.path, "authorization": self.headers.get("Authorization"), **body}
            )
            if fail_after is not None and len(requests) > fail_after:
                self._send(503, {"error": "service unavailable"})
                return
            if stall:
                time.sleep(stall)
            path = self.path.split("?", 1)[0]  # a key may ride in the query string
            if path == "/v1/chat/completions":
                message = {"role": "assistant", "content": reply(body)}
                choices = [{"index": 0, "message": message, "finish_reason": "stop"}]
                self._send(200, {"id": "x", "object": "chat.completion", "choices": choices})
            elif path == "/v1/completions":
                prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
                choices = [
                    {"index": i, "text": reply({**body, "prompt": p}), "finish_reason": "stop"}
                    for i, p in enumerate(prompts)
                ]
                self._send(200, {"id": "x", "object": "text_completion", "choices": choices})
            else:
                self._send(404, {"error": "not found"})

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    finally:
        server.shutdown()
        server.server_close()
