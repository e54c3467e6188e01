"""The one settings object: NEWSFLOW_* variables, then explicit overrides; the README lists them all."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from tasks.errors import ConfigError
from tasks.settings import PROJECT_ROOT, Settings
from tasks.sources import retry_delays
from tests.conftest import ROOT


def test_defaults_point_into_the_project():
    s = Settings.from_env({})
    assert s.db_path == PROJECT_ROOT / "warehouse" / "newsflow.duckdb"
    assert s.sources_file == PROJECT_ROOT / "seeds" / "sources.yaml"


def test_environment_is_read_and_typed():
    s = Settings.from_env({"NEWSFLOW_DB_PATH": "~/w.duckdb", "NEWSFLOW_RETRIES": "5",
                           "NEWSFLOW_NEAR_DUP_THRESHOLD": "0.7", "OTHER": "x"})
    assert s.db_path == Path("~/w.duckdb").expanduser()
    assert (s.retries, s.near_dup_threshold) == (5, 0.7)


def test_overrides_win_and_none_is_ignored():
    s = Settings.from_env({"NEWSFLOW_DB_PATH": "/env.duckdb"}, db_path="/cli.duckdb", sources_file=None)
    assert s.db_path == Path("/cli.duckdb") and s.sources_file == Settings().sources_file


def test_a_bad_value_is_a_one_line_config_error():
    with pytest.raises(ConfigError, match=r"NEWSFLOW_RETRIES='many' is not a valid int"):
        Settings.from_env({"NEWSFLOW_RETRIES": "many"})


def test_prefects_retry_of_a_source_comes_after_the_fetchers_own_backoff():
    # the fetcher waits about 1, 2, 4 s between its tries; Prefect tries the source once more after 16 s
    assert retry_delays(Settings(retries=3, retry_delay_seconds=1.0)) == [16.0]
    assert retry_delays(Settings(retries=0)) == []


@pytest.mark.parametrize("env, message", [
    ({"NEWSFLOW_PER_HOST_LIMIT": "0"}, "NEWSFLOW_PER_HOST_LIMIT must be greater than 0"),
    ({"NEWSFLOW_RETRIES": "-1"}, "NEWSFLOW_RETRIES must not be negative"),
    ({"NEWSFLOW_NEAR_DUP_THRESHOLD": "1.5"}, "NEWSFLOW_NEAR_DUP_THRESHOLD must be in"),
    ({"NEWSFLOW_RESPECT_ROBOTS": "no", "NEWSFLOW_READ_TIMEOUT": "0"}, "NEWSFLOW_READ_TIMEOUT must be greater"),
])
def test_values_that_cannot_work_are_refused(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_user_agent_names_the_project_and_the_contact_url():
    s = Settings.from_env({"NEWSFLOW_CONTACT_URL": "https://data.example.org/crawler"})
    assert re.fullmatch(r"newsflow/\d+\.\d+\.\d+ \(\+https://data\.example\.org/crawler\)", s.user_agent)
    assert Settings.from_env({"NEWSFLOW_RESPECT_ROBOTS": "false"}).respect_robots is False


def test_readme_documents_every_setting_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(NEWSFLOW_[A-Z_]+)`", readme))
    assert documented == {"NEWSFLOW_" + f.name.upper() for f in fields(Settings)}


def test_a_batch_is_shared_out_one_slice_per_worker_unless_the_map_size_is_set():
    from flows.runners import slice_size

    assert slice_size(Settings(batch_size=2000, workers=2)) == 1000
    assert slice_size(Settings(batch_size=2001, workers=2)) == 1001  # never a third, tiny slice
    assert slice_size(Settings(batch_size=2000, workers=3)) == 667
    assert slice_size(Settings(batch_size=5, workers=8)) == 1
    assert slice_size(Settings(batch_size=2000, workers=2, map_size=300)) == 300
    with pytest.raises(ConfigError, match="NEWSFLOW_MAP_SIZE must not be negative"):
        Settings.from_env({"NEWSFLOW_MAP_SIZE": "-1"})
