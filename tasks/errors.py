"""Named exceptions of the core. The CLI and the flow turn them into one-line messages."""


class NewsflowError(Exception):
    """Base class: a problem the user can act on, shown without a traceback."""


class ConfigError(NewsflowError):
    """Bad settings or a missing/invalid sources file."""


class WarehouseError(NewsflowError):
    """The DuckDB file cannot be opened, written or migrated."""


class TransientSourceError(NewsflowError):
    """A network problem worth retrying (timeouts, connection errors, 5xx, 429).

    `reason` is a short stable code ("timeout", "connection-error", "http-503", "http-429",
    "truncated", "dns-error", ...), recorded in `failures` when the retries run out.
    """

    def __init__(self, detail: str, reason: str = "fetch-failed"):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class BadDocument(NewsflowError):
    """One document cannot be used. It is recorded in `failures` and the run goes on.

    `reason` is a short stable code ("empty", "binary", "not-utf8", "unreadable",
    "malformed-feed", "no-text", ...); the message is the human-readable detail.
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse file, and it stayed held through every retry.

    `pid` and `command` name the holder when DuckDB's message (and psutil) tell them.
    """

    def __init__(self, message: str, pid: int | None = None, command: str | None = None):
        super().__init__(message)
        self.pid = pid
        self.command = command


class RunInProgress(NewsflowError):
    """Another newsflow run holds the run lock: two runs must not overlap."""
