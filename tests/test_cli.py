"""The newsflow command on real files: --help, stage commands, sql, and one-line errors."""

import io
import re
from pathlib import Path
import json
import subprocess
import sys

import pytest

from flows.cli import build_parser, main
from tests.conftest import ROOT, SEEDS

SEED0 = str(SEEDS / "000_6d746afb71c21aef.txt")
SEED3 = str(SEEDS / "003_9739e647ac3eb03e.txt")
PAGE = str(SEEDS / "pages" / "bbc-obama-gun-laws.html")


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def cli(*argv, env=None):
    """The installed entry point in a subprocess (for exit codes and stderr)."""
    return subprocess.run([sys.executable, "-m", "flows.cli", *argv], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize("command", ["ingest", "clean", "events", "dedup", "sql"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([command, "--help"])
    assert e.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_clean_prints_one_line_per_input_in_order(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    code, out = run("clean", SEED3, str(bad), PAGE)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [x["path"] for x in lines] == [SEED3, str(bad), PAGE]
    assert lines[0]["published"] == "2024-01-05" and "CLICK HERE" not in lines[0]["text"]
    assert lines[1]["error"].startswith("empty:")
    assert lines[2]["title"].startswith("Obama admits US gun laws")
    assert set(lines[2]) >= {"url", "title", "authors", "published", "language", "text"}


def test_clean_text_format():
    code, out = run("clean", "--format", "text", SEED0)
    assert code == 0 and out.startswith("Senior Iraqi officials on Wednesday condemned")


def test_events_on_files_and_jsonl(tmp_path):
    code, out = run("events", SEED0)
    doc = json.loads(out)
    assert doc["id"] == SEED0
    types = {e["event_type"] for e in doc["events"]}
    assert {"ACCUSE", "ASSAULT"} <= types
    assert {"event_id", "sentence", "sentence_start", "actor_country", "dead", "extractor_version"} <= set(doc["events"][0])
    jl = tmp_path / "docs.jsonl"
    jl.write_text(json.dumps({"id": "x1", "text": "Iraq's parliament also condemned the US airstrikes.",
                              "published": "2023-11-22"}) + "\n" + json.dumps({"id": "x2", "text": "Nothing happened."}) + "\n")
    code, out = run("events", "--jsonl", str(jl))
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == ["x1", "x2"] and lines[1]["events"] == []
    accuse = [e for e in lines[0]["events"] if e["event_type"] == "ACCUSE"]
    assert accuse and accuse[0]["actor_country"] == "IRQ" and accuse[0]["recipient_country"] == "USA"


def test_dedup_jsonl(tmp_path):
    text = (SEEDS / "000_6d746afb71c21aef.txt").read_text(encoding="utf-8")
    recs = [
        {"id": "a", "url": "https://news.example/iraq?utm_source=x", "text": text},
        {"id": "b", "url": "https://www.news.example/iraq/", "text": "Different text entirely, about the weather today."},
        {"id": "c", "text": text.upper()},
        {"id": "d", "text": "\n".join(text.splitlines()[:9])},
        {"id": "e", "text": "An unrelated story about football results and the league table this weekend."},
    ]
    jl = tmp_path / "d.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in recs))
    code, out = run("dedup", "--jsonl", str(jl))
    got = {x["id"]: (x["duplicate_of"], x["reason"]) for x in map(json.loads, out.splitlines())}
    assert got == {"a": (None, None), "b": ("a", "url"), "c": ("a", "exact"), "d": ("a", "near"), "e": (None, None)}


def test_bad_jsonl_line_is_a_one_line_error(tmp_path):
    jl = tmp_path / "d.jsonl"
    jl.write_text('{"id": "a", "text": "ok"}\n{oops\n')
    r = cli("dedup", "--jsonl", str(jl))
    assert r.returncode == 2 and r.stderr.strip() == f"newsflow dedup: error: {jl}:2: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"


def test_missing_sources_file_is_one_line_and_nonzero(tmp_path):
    r = cli("ingest", "--sources", str(tmp_path / "nope.yaml"), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"newsflow ingest: error: sources file not found: {tmp_path / 'nope.yaml'}"]
    assert "Traceback" not in r.stderr


def test_unwritable_db_path_is_one_line_and_nonzero(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = cli("ingest", "--db", str(blocker / "w.duckdb"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "cannot create the folder for the database" in r.stderr and "Traceback" not in r.stderr


def test_sql_formats_and_errors(tmp_path):
    from tasks.load import load_batch
    from tests.factories import make_batch

    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    q = "SELECT event_type, place_name FROM marts.events"
    assert run("sql", q, "--db", str(db))[1].splitlines()[0].split() == ["event_type", "place_name"]
    assert run("sql", q, "--db", str(db), "--format", "csv")[1].splitlines() == ["event_type,place_name", "ASSAULT,Baghdad"]
    assert json.loads(run("sql", q, "--db", str(db), "--format", "json")[1]) == {"event_type": "ASSAULT", "place_name": "Baghdad"}
    r = cli("sql", "DROP TABLE marts.events", "--db", str(db))
    assert r.returncode == 2 and "read-only" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_command_runs_the_flow_and_prints_what_landed(tmp_path):
    sources = tmp_path / "s.yaml"
    sources.write_text(f"sources:\n  - name: seed-articles\n    folder: {SEEDS}\n")
    code, out = run("ingest", "--sources", str(sources), "--db", str(tmp_path / "w.duckdb"))
    assert code == 0
    assert "articles new        2" in out and "documents read      2" in out
    assert "marts.events" in out and "(7 rows)" in out


def test_readme_commands_exist_and_the_console_script_is_installed():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"(?:`|bin/)newsflow ([a-z]+)", readme))  # `newsflow X`, .venv/bin/newsflow X
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)
    assert mentioned == subcommands  # every command documented, no documented command missing
    exe = Path(sys.executable).with_name("newsflow")
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and all(c in r.stdout for c in subcommands)


def test_events_on_a_file_that_cannot_be_cleaned_keeps_its_line(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    code, out = run("events", str(bad), SEED3)
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == [str(bad), SEED3]
    assert lines[0]["events"] == [] and lines[0]["error"].startswith("empty:")
    assert "error" not in lines[1] and any(e["event_date"] == "2024-01-04" for e in lines[1]["events"])
