"""The logger for task bodies: Prefect's run logger inside a run, a plain logger outside one
(unit tests call `task.fn(...)` directly, and the CLI calls the pure functions)."""

from __future__ import annotations

import logging

from prefect import get_run_logger
from prefect.exceptions import MissingContextError


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("newsflow")
