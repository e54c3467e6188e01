"""A tiny HTTP server on 127.0.0.1 for tests: each path answers from a list of canned responses."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    """routes: path -> list of (status, headers, body); the last response repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.hits: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                n = server.hits.get(path, 0)
                server.hits[path] = n + 1
                server.headers[path] = dict(self.headers)
                responses = server.routes.get(path) or [(404, {}, b"not found")]
                status, headers, body = responses[min(n, len(responses) - 1)]
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status in (301, 302, 303, 307, 308) and "Location" not in headers:
                    self.send_header("Location", path)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, path: str, *responses: tuple[int, dict[str, str], bytes]) -> str:
        self.routes[path] = list(responses)
        return self.base + path

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
