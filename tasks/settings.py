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


@dataclass(frozen=True)
class Settings:
    """All of newsflow's knobs. Each field `x` is read from `NEWSFLOW_X`."""

    db_path: Path = PROJECT_ROOT / "warehouse" / "newsflow.duckdb"
    sources_file: Path = PROJECT_ROOT / "seeds" / "sources.yaml"
    # HTTP (live sources)
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    http_timeout: float = 20.0
    max_body_bytes: int = 10_000_000
    # dedup
    shingle_size: int = 3
    near_dup_threshold: float = 0.8  # containment of the shorter text in the longer
    # retries of transient errors
    retries: int = 3
    retry_delay_seconds: float = 2.0  # first delay; then x4, x16 (see tasks.sources.retry_delays)

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
        return replace(cls(), **values)


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
