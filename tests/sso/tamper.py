"""A man in the middle of the token endpoint, for the tests of what the service does with a token
it must not trust: it passes the service's request to the real provider and hands back the
provider's answer as `change` rewrites it (a re-signed, swapped or replayed ID token)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class TokenEndpointProxy:
    def __init__(self, token_endpoint: str) -> None:
        self.token_endpoint = token_endpoint
        self.change: Callable[[dict], dict] | None = None
        self.answers: list[dict] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() in {"content-type", "authorization", "accept"}
                }
                upstream = requests.post(
                    proxy.token_endpoint, data=body, headers=headers, timeout=10
                )
                answer = upstream.json()
                proxy.answers.append(answer)
                if upstream.ok and proxy.change is not None:
                    answer = proxy.change(answer)
                payload = json.dumps(answer).encode()
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TokenEndpointProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
