"""Shared fixtures. Prefect state goes to a temporary folder, and nothing is sent anywhere."""

import os
import tempfile
from pathlib import Path

# Set before any test module imports prefect (conftest is imported first).
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsflow-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
for key in [k for k in os.environ if k.startswith("NEWSFLOW_")]:
    del os.environ[key]

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API server for the whole session (it takes ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
