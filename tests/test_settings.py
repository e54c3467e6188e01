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


def test_retry_delays_grow_from_the_setting():
    assert retry_delays(Settings(retries=3, retry_delay_seconds=2.0)) == [2.0, 8.0, 32.0]
    assert retry_delays(Settings(retries=0)) == []


def test_readme_documents_every_setting_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(NEWSFLOW_[A-Z_]+)`", readme))
    assert documented == {"NEWSFLOW_" + f.name.upper() for f in fields(Settings)}
