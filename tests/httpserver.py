"""A tiny HTTP server on 127.0.0.1 for tests: each path answers from a list of canned responses,
or from a function that writes whatever it likes (slow, hanging, truncated or bomb responses)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class LocalServer:
    """routes: path -> list of (status, headers, body); the last response repeats.

    route_fn(path, fn): fn(handler) answers itself (handler.wfile, send_response, ...).
    `log` lists every request as (path, headers), in arrival order; `stopping` is set on exit,
    so a handler that hangs can wait on it.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.fns: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.hits: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                with server.lock:
                    n = server.hits.get(path, 0)
                    server.hits[path] = n + 1
                    server.headers[path] = dict(self.headers)
                    server.log.append((path, dict(self.headers)))
                if path in server.fns:
                    try:
                        server.fns[path](self)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
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

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False  # a hanging handler must not block shutdown

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def route(self, path: str, *responses: tuple[int, dict[str, str], bytes]) -> str:
        self.routes[path] = list(responses)
        return self.base + path

    def route_fn(self, path: str, fn: Callable[[BaseHTTPRequestHandler], None]) -> str:
        self.fns[path] = fn
        return self.base + path

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self.lock:
            return [p for p, _ in self.log]

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def conditional(body: bytes, content_type: str, etag: str | None = None, last_modified: str | None = None):
    """A route_fn handler like a real feed server: 304 when the request's If-None-Match or
    If-Modified-Since matches, else 200 with the body and the validators given."""
    validators = {k: v for k, v in (("ETag", etag), ("Last-Modified", last_modified)) if v}

    def handler(h) -> None:
        if (etag and h.headers.get("If-None-Match") == etag) or (
                last_modified and h.headers.get("If-Modified-Since") == last_modified):
            h.send_response(304)
            for k, v in validators.items():
                h.send_header(k, v)
            h.end_headers()
            return
        h.send_response(200)
        for k, v in {"Content-Type": content_type, **validators, "Content-Length": str(len(body))}.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    return handler
