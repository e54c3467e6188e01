"""A local test publisher for bench_fetch.py: N "hosts" (ports on 127.0.0.1), each answering
every request after a fixed latency, with HTTP/1.1 keep-alive.

Each host serves /robots.txt, /feed.xml (an RSS feed linking its pages, ETag + Last-Modified,
304 on a matching conditional request) and /page/<i>.html (real article pages, cycled). A control
port answers GET /stats (the request log as JSON, not delayed) and GET /reset (the log, then
cleared).

    python bench/fetch_server.py --hosts 20 --latency 0.1 --pages-per-host 500 PAGE_FILES...

prints one JSON line {"ports": [...], "control": port} when it is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

ETAG = '"feed-v1"'
LAST_MODIFIED = "Mon, 23 Nov 2026 01:00:00 GMT"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class Publisher:
    def __init__(self, latency: float, pages_per_host: int, pages: list[bytes]):
        self.latency = latency
        self.pages_per_host = pages_per_host
        self.pages = pages
        self.log: list[dict] = []

    def feed(self, port: int) -> bytes:
        items = "".join(
            f"<item><title>Story {i} on host {port}</title><link>http://127.0.0.1:{port}/page/{i}.html</link>"
            f"<guid>http://127.0.0.1:{port}/page/{i}.html</guid>"
            f"<pubDate>Mon, 23 Nov 2026 00:{i % 60:02d}:00 GMT</pubDate>"
            f"<description>Summary {i}</description></item>"
            for i in range(self.pages_per_host)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Host {port}</title>'
                f"<link>http://127.0.0.1:{port}/</link><description>bench</description>{items}</channel></rss>").encode()

    def answer(self, port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        self.log.append({"port": port, "path": path, "conditional": conditional})
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS
        if path == "/feed.xml":
            if headers.get("if-none-match") == ETAG or headers.get("if-modified-since") == LAST_MODIFIED:
                return 304, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}, b""
            return 200, {"Content-Type": "application/rss+xml", "ETag": ETAG, "Last-Modified": LAST_MODIFIED}, self.feed(port)
        if path.startswith("/page/") and path.endswith(".html"):
            try:
                i = int(path[6:-5])
            except ValueError:
                i = -1
            if 0 <= i:
                body = self.pages[(port * 7919 + i) % len(self.pages)]
                return 200, {"Content-Type": "text/html; charset=utf-8"}, body
        return 404, {"Content-Type": "text/plain"}, b"not found"


async def serve_host(pub: Publisher, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int,
                     control: bool = False) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            if control:  # /stats: the log so far; /reset: the same, then start a new log
                status, hdrs, body = 200, {"Content-Type": "application/json"}, json.dumps(pub.log).encode()
                if path == "/reset":
                    pub.log.clear()
            else:
                await asyncio.sleep(pub.latency)
                status, hdrs, body = pub.answer(port, path, headers)
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
            out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: keep-alive"]
            out += [f"{k}: {v}" for k, v in hdrs.items()]
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (b"" if method == "HEAD" else body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main_async(args: argparse.Namespace) -> None:
    pages = [Path(p).read_bytes() for p in args.pages] or [b"<html><body><p>" + b"text " * 2000 + b"</p></body></html>"]
    pub = Publisher(args.latency, args.pages_per_host, pages)
    servers, ports = [], []
    for _ in range(args.hosts):
        holder: dict[str, int] = {}
        srv = await asyncio.start_server(
            lambda r, w, h=holder: serve_host(pub, r, w, h["port"]), "127.0.0.1", 0, backlog=1024)
        holder["port"] = srv.sockets[0].getsockname()[1]
        servers.append(srv)
        ports.append(holder["port"])
    ctl = await asyncio.start_server(lambda r, w: serve_host(pub, r, w, 0, control=True), "127.0.0.1", 0)
    print(json.dumps({"ports": ports, "control": ctl.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers + [ctl]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--pages-per-host", type=int, default=500)
    parser.add_argument("pages", nargs="*")
    try:
        asyncio.run(main_async(parser.parse_args()))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
