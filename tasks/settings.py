"""The one settings object, read from NEWSFLOW_* environment variables and passed down.

Nothing here runs at import time: call ``Settings.from_env()`` at the edge (CLI, flow entry).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

from tasks.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VERSION = "0.2.0"
RUNNERS = ("threads", "processes", "dask")


@dataclass(frozen=True)
class Settings:
    """All of newsflow's knobs. Each field `x` is read from `NEWSFLOW_X`."""

    db_path: Path = PROJECT_ROOT / "warehouse" / "newsflow.duckdb"
    sources_file: Path = PROJECT_ROOT / "seeds" / "sources.yaml"
    # HTTP (live sources): see tasks/fetch.py
    contact_url: str = "https://github.com/newsflow/newsflow"  # named in the User-Agent
    connect_timeout: float = 10.0  # seconds to open a connection
    read_timeout: float = 20.0  # seconds of silence allowed while reading a response
    fetch_deadline: float = 120.0  # seconds for one whole response, however it trickles in
    max_body_bytes: int = 10_000_000  # cap on a body, compressed and decompressed
    concurrency: int = 64  # requests in flight at once, over all hosts
    per_host_limit: int = 2  # requests in flight at once to one host
    respect_robots: bool = True  # obey robots.txt (Disallow and Crawl-delay)
    allow_hosts: str = ""  # comma-separated hosts or CIDR ranges exempt from the SSRF guard
    max_retry_after: float = 120.0  # longest Retry-After or backoff wait before giving up
    source_max_failures: int = 3  # consecutive failed nights before a source is backed off
    # dedup
    shingle_size: int = 3
    near_dup_threshold: float = 0.8  # containment of the shorter text in the longer
    # retries of transient errors
    retries: int = 3  # retries of one request after a timeout, connection error, 5xx or 429
    retry_delay_seconds: float = 1.0  # first backoff delay; doubled each retry, with jitter
    # execution: the CPU-heavy stages run as mapped tasks over batches on this task runner
    runner: str = "threads"  # threads (default), processes, or dask
    dask_address: str = ""  # tcp://HOST:PORT of a Dask scheduler; empty: a LocalCluster (runner dask)
    workers: int = 0  # workers of the thread/process pool or LocalCluster; 0: one per CPU core
    batch_size: int = 2000  # documents cleaned, de-duplicated, extracted and loaded per transaction
    map_size: int = 0  # documents per mapped task (what one worker gets at a time); 0: the batch shared out, one slice per worker
    # the writer: waiting for a warehouse file another process holds
    lock_retries: int = 5  # tries to open the warehouse for writing before the load gives up
    lock_wait_seconds: float = 1.0  # first wait between tries; doubled each try
    # publishing for analysts at the end of the nightly flow (empty: not done)
    export_dir: str = ""  # incremental Parquet export of the marts, hive-partitioned by date
    snapshot_path: str = ""  # a read-only copy of the warehouse file, replaced atomically

    @property
    def user_agent(self) -> str:
        """The User-Agent header: the project, its version and the contact URL."""
        return f"newsflow/{VERSION} (+{self.contact_url})"

    @property
    def spool_dir(self) -> Path:
        """Where a batch waits on disk when the warehouse could not be written (loaded next try)."""
        return self.db_path.parent / f"{self.db_path.name}.spool"

    @property
    def run_lock_path(self) -> Path:
        """The file lock that keeps two local runs from overlapping."""
        return self.db_path.parent / f"{self.db_path.name}.run.lock"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Settings from `environ` (default: os.environ), then `overrides` (None values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            key = "NEWSFLOW_" + f.name.upper()
            if key in env:
                values[f.name] = _convert(key, env[key], f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for k in ("db_path", "sources_file"):
            if k in values:
                values[k] = Path(values[k]).expanduser()  # type: ignore[arg-type]
        settings = replace(cls(), **values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """ConfigError, in one line, for a value that cannot work."""
        positive = ("connect_timeout", "read_timeout", "fetch_deadline", "max_body_bytes", "concurrency",
                    "per_host_limit", "source_max_failures", "shingle_size", "batch_size", "lock_retries")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"NEWSFLOW_{name.upper()} must be greater than 0, not {getattr(self, name)}")
        for name in ("retries", "retry_delay_seconds", "max_retry_after", "workers", "map_size", "lock_wait_seconds"):
            if getattr(self, name) < 0:
                raise ConfigError(f"NEWSFLOW_{name.upper()} must not be negative, not {getattr(self, name)}")
        if self.runner not in RUNNERS:
            raise ConfigError(f"NEWSFLOW_RUNNER must be one of {', '.join(RUNNERS)}, not {self.runner!r}")
        if self.dask_address and not self.dask_address.startswith(("tcp://", "tls://", "inproc://")):
            raise ConfigError(f"NEWSFLOW_DASK_ADDRESS must look like tcp://HOST:PORT, not {self.dask_address!r}")
        if not 0 < self.near_dup_threshold <= 1:
            raise ConfigError(f"NEWSFLOW_NEAR_DUP_THRESHOLD must be in (0, 1], not {self.near_dup_threshold}")


def _convert(key: str, raw: str, default: object) -> object:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
        return raw
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a valid {type(default).__name__}") from None
