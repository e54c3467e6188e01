"""prefect.yaml: the README's deploy commands work, and a worker runs the nightly deployment."""

import os
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")


def prefect(*args, timeout=300):
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value())
    exe = Path(__import__("sys").executable).with_name("prefect")
    r = subprocess.run([str(exe), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout


def test_readme_deploy_commands_and_a_worker_run(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("prefect work-pool create newsflow-process --type process",
                    "prefect deploy --name nightly", "prefect worker start --pool newsflow-process"):
        assert command in readme

    prefect("work-pool", "create", "newsflow-process", "--type", "process")
    prefect("--no-prompt", "deploy", "--name", "nightly")

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        d = client.read_deployment_by_name("nightly_ingest/nightly")
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"][0]
    assert d.entrypoint == "flows/nightly.py:nightly_ingest" and d.work_pool_name == "newsflow-process"
    assert d.parameters == spec["parameters"]
    [schedule] = d.schedules
    # no two nightly runs at once: one slot, and a run that comes due while one runs is cancelled
    assert spec["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    assert d.global_concurrency_limit is not None and d.global_concurrency_limit.limit == 1
    assert d.concurrency_options is not None and d.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Europe/London")

    db = tmp_path / "nightly.duckdb"
    prefect("deployment", "run", "nightly_ingest/nightly", "--param", f"db_path={db}")
    prefect("worker", "start", "--pool", "newsflow-process", "--run-once")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), min(status) FROM ops.runs").fetchone() == (1, "completed")
        assert con.execute("SELECT count(*) FROM staging.articles").fetchone()[0] == 25
    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()
    assert any(a.key == "nightly-ingest-summary" for a in artifact)
