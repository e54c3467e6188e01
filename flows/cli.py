"""The `newsflow` command: a thin layer over the flow and the stage functions.

Errors from the core (NewsflowError) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DESCRIPTION = """\
newsflow: a news-ingestion pipeline. Reads feeds and article files, cleans them to the
article's own text, removes duplicates, extracts PLOVER events and loads everything into a
DuckDB warehouse. Settings come from NEWSFLOW_* environment variables (see README.md)."""


def prefect_env_defaults(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Keep Prefect's state inside the project and its telemetry off, unless set otherwise."""
    environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
    environ.setdefault("DO_NOT_TRACK", "1")
    environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="DuckDB file (default: NEWSFLOW_DB_PATH or warehouse/newsflow.duckdb)")


def add_sources_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sources", metavar="FILE", help="sources file (default: NEWSFLOW_SOURCES_FILE or seeds/sources.yaml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "ingest", help="run the nightly_ingest flow once",
        description="Run the nightly_ingest Prefect flow: read every source in the sources file, "
        "clean, de-duplicate, extract events and load the documents into the warehouse, a batch "
        "(NEWSFLOW_BATCH_SIZE documents) per transaction. Cleaning, fingerprints and event extraction "
        "run as mapped tasks on the chosen runner; the load stays a single writer. Re-running the same "
        "input changes nothing. Prints a summary and what the warehouse holds; in a terminal, a bar counts "
        "the documents loaded so far.",
    )
    add_sources_option(p)
    add_db_option(p)
    p.add_argument("--runner", choices=("threads", "processes", "dask"),
                   help="where the CPU-heavy stages run: threads (default), processes, or dask (NEWSFLOW_RUNNER)")
    p.add_argument("--dask-address", metavar="tcp://HOST:PORT",
                   help="run on this Dask scheduler (implies --runner dask; NEWSFLOW_DASK_ADDRESS); with "
                   "--runner dask and no address, a LocalCluster of NEWSFLOW_WORKERS processes is started")

    p = sub.add_parser(
        "clean", help="clean article files to text + metadata (JSON lines)",
        description="Clean each file (.html/.htm as a page, anything else as plain text) with the "
        "same function the flow uses. Prints one JSON line per file, in the order given: path, url, "
        "title, authors, published, language, text; a file that cannot be cleaned gets a line with "
        "an 'error'. A metadata.yaml beside a file supplies its published date, title and url.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=["json", "text"], default="json", help="json (default) or the plain text only")

    p = sub.add_parser(
        "events", help="extract PLOVER events from files or a JSONL file",
        description="Extract events with the same functions the flow uses. Either PATHs (cleaned "
        "first, like `newsflow clean`) or --jsonl FILE whose lines are {\"id\", \"text\", "
        "\"published\"?}. Prints one JSON line per document: {\"id\", \"events\": [...]}, each "
        "event with the columns of marts.events.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--jsonl", metavar="FILE", help="documents as JSON lines instead of PATHs")

    p = sub.add_parser(
        "dedup", help="find duplicates in a JSONL file, or explain why two documents are (not) duplicates",
        description="With --jsonl: de-duplicate the documents of a JSONL file (lines {\"id\", "
        "\"url\"?, \"title\"?, \"text\"}) among themselves, in file order, with the flow's rules: same "
        "canonical URL (a duplicate, or a new version when the text changed), same normalized text, or "
        "near-duplicate text. Prints one JSON line per document: {\"id\", \"duplicate_of\", "
        "\"reason\", \"score\"}. With --explain A B: every measure dedup uses on two documents and the "
        "flow's decision for B when A came first; A and B are files (cleaned as the flow cleans them) or "
        "article ids in the warehouse (NEWSFLOW_DB_PATH); the exit status is 0 for duplicates, 1 for "
        "not. Thresholds: NEWSFLOW_NEAR_DUP_THRESHOLD, NEWSFLOW_SHINGLE_SIZE.",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--jsonl", metavar="FILE", help="documents as JSON lines")
    g.add_argument("--explain", nargs=2, metavar=("A", "B"), help="two files or warehouse article ids")
    p.add_argument("--format", choices=("text", "json"), default="text", help="--explain output (default: text)")

    p = sub.add_parser(
        "feed", help="print a feed's entries as we read them (JSON lines)",
        description="Fetch a feed (http(s) URL, with the nightly flow's fetcher and rules) or read a "
        "feed file, and print one JSON line per entry, normalized as the flow sees it: title, link, "
        "published (UTC), updated, guid, author, full_content (whether the entry carries the whole "
        "article, so its page is not fetched) and date_is_fetch_time (the entry had no date).",
    )
    p.add_argument("location", metavar="URL_OR_FILE")

    p = sub.add_parser(
        "sources", help="manage the sources file: import OPML, discover feeds, show status",
        description="Manage the sources file and see how each live source is doing.",
    )
    ssub = p.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    q = ssub.add_parser(
        "import", help="add every feed of an OPML file to the sources file",
        description="Add each feed (<outline xmlUrl=...>) of an OPML file, as exported by feed "
        "readers, to the sources file as a `feed:` source named after its title. Feeds already "
        "listed are skipped; the file's comments are kept.",
    )
    q.add_argument("opml", metavar="OPML_FILE")
    q.add_argument("--sources", metavar="FILE", help="sources file to add to (default: NEWSFLOW_SOURCES_FILE or seeds/sources.yaml)")
    q = ssub.add_parser(
        "discover", help="find the feeds a site's home page links to",
        description="Fetch a page (usually a site's home page) and list the feeds it declares with "
        "<link rel=\"alternate\" type=\"application/rss+xml\" (or atom+xml, rdf+xml) href=...>, "
        "one per line: URL, type, title. With --add, add them to the sources file.",
    )
    q.add_argument("url", metavar="URL")
    q.add_argument("--add", action="store_true", help="add the feeds found to the sources file")
    q.add_argument("--sources", metavar="FILE", help="sources file for --add (default: NEWSFLOW_SOURCES_FILE or seeds/sources.yaml)")
    q = ssub.add_parser(
        "status", help="show each live source's last fetch, failures and back-off",
        description="Show ops.source_state: per live source, the last fetch and its status, the "
        "consecutive failed nights and, for a source backed off, when it is tried again.",
    )
    add_db_option(q)

    p = sub.add_parser(
        "reprocess", help="recompute stages from the stored raw documents, fetching nothing",
        description="Recompute stages from what the warehouse already holds, without fetching anything, "
        "after the cleaner, dedup, the extractor or the dictionaries in tasks/dictionaries/ changed. A stage "
        "redoes the stages after it too: --clean cleans every stored raw document again and replaces its "
        "article (a document that no longer cleans loses it, one that cleans now gains one), then dedup and "
        "events follow; --dedup recomputes URL keys, text hashes, signatures, band keys and duplicate "
        "decisions of every stored article, run by run in the order the runs were loaded (each run decided "
        "against the runs before it, as its night decided it), then events follow; --events re-extracts the "
        "events of every stored unique article. Each page is one transaction: an interrupted run leaves every "
        "page as it was or fully redone, and running the same command again completes it. Idempotent: rows "
        "keep the run that stored them, so running it twice, or on unchanged code, changes nothing. Holds the "
        "run lock (no nightly run meanwhile). Shows progress bars when run in a terminal.",
    )
    p.add_argument("--clean", action="store_true", help="clean the stored raw documents again (then dedup, events)")
    p.add_argument("--dedup", action="store_true", help="recompute dedup for every stored article (then events)")
    p.add_argument("--events", action="store_true", help="re-extract the events of the stored unique articles")
    add_db_option(p)
    p.add_argument("--page-size", type=int, default=500, metavar="N",
                   help="raw documents (--clean) or articles (events) per transaction (default: 500); "
                   "dedup writes one run per transaction")

    p = sub.add_parser(
        "backfill", help="re-ingest a window of publication dates from the sources",
        description="Run the nightly_ingest flow over the sources file's sources (local dumps and folders, "
        "JSONL files, archived feed files) and keep only the articles published from --from to --to "
        "(inclusive); the others are dropped after cleaning and not stored, so a later backfill of another "
        "window still finds them. Idempotent: documents already stored are skipped, so running it twice "
        "changes nothing. Prints the run's summary and what the warehouse holds; in a terminal, a bar counts "
        "the documents loaded so far.",
    )
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="first publication date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="last publication date, YYYY-MM-DD (inclusive)")
    add_sources_option(p)
    add_db_option(p)

    p = sub.add_parser(
        "runs", help="list recent runs",
        description="List the latest runs recorded in ops.runs, newest first: start (UTC), status, seconds, "
        "documents read, articles new, duplicate and failed, events, and how the sources went (per status, "
        "with the first error of each failed source). --format json prints one JSON object per run with every "
        "column of ops.runs (stage_seconds, source_status and the per-source list `sources` parsed).",
    )
    p.add_argument("--limit", type=int, default=10, metavar="N", help="how many runs (default: 10)")
    add_db_option(p)
    p.add_argument("--format", choices=["table", "json"], default="table", help="table (default) or JSON lines")

    p = sub.add_parser(
        "sql", help="run a read-only SQL query on the warehouse",
        description="Run one read-only SQL query on the warehouse and print the result. "
        "Tables: raw.documents, raw.feed_entries, raw.robots, staging.articles, staging.duplicates, "
        "staging.article_signatures, staging.lsh_bands, marts.events, ops.runs, ops.failures, ops.source_state; "
        "views: staging.story_members, marts.articles, marts.article_versions, marts.daily_events, marts.dyads, "
        "marts.duplicate_groups, marts.story_groups, marts.story_outlets, marts.stories_per_day, "
        "ops.failure_reasons.",
    )
    p.add_argument("query", metavar="QUERY")
    add_db_option(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = sub.add_parser(
        "export", help="write the marts as Parquet for analysts (incremental, partitioned by day)",
        description="Write the marts analysts query (events, event_mentions, daily_events, articles, "
        "story_groups) as Parquet under DIR/<table>/day=YYYY-MM-DD/data.parquet (hive partitioning; rows "
        "with no date in day=__HIVE_DEFAULT_PARTITION__), reading the warehouse read-only. Incremental: "
        "only new partitions and those whose rows changed since the last export into DIR are written "
        "(each written aside, then renamed over the old file), and partitions left empty are removed. "
        "Read them from DuckDB, pandas or polars while the nightly load runs (README: Reading without "
        "blocking the load). NEWSFLOW_EXPORT_DIR makes the nightly flow do this at its end.",
    )
    p.add_argument("--parquet", metavar="DIR", required=True, help="the folder to export into (created if missing)")
    add_db_option(p)

    p = sub.add_parser(
        "snapshot", help="publish a read-only copy of the warehouse file, atomically",
        description="Copy the warehouse (opened read-only, so no writer can start meanwhile; a pending "
        "write-ahead log is included) to PATH.tmp-* in PATH's folder, fsync it, make it read-only and "
        "rename it over PATH. Analysts open PATH with duckdb.connect(PATH, read_only=True) at any hour; "
        "a failed snapshot leaves the previous one as it was. NEWSFLOW_SNAPSHOT_PATH makes the nightly "
        "flow do this at its end.",
    )
    p.add_argument("path", metavar="PATH", help="the snapshot file to create or replace")
    add_db_option(p)
    return parser


# --------------------------------------------------------------------------- commands


def cmd_ingest(args: argparse.Namespace, out: Any) -> int:
    from tasks.report import format_summary
    from tasks.settings import Settings
    from tasks.sources import load_sources
    from tasks.warehouse import check_writable, query, sql

    runner = "dask" if args.dask_address and not args.runner else args.runner
    settings = Settings.from_env(sources_file=args.sources, db_path=args.db, runner=runner,
                                 dask_address=args.dask_address)
    load_sources(settings.sources_file)  # fail fast, in one line, before Prefect starts
    check_writable(settings.db_path)
    summary = run_nightly(settings, out)
    print(format_summary(summary), file=out)
    print(f"\nwarehouse {settings.db_path}:", file=out)
    columns, rows = query(settings.db_path, sql("table_counts"))
    print_table(columns, rows, out)
    return 0


def run_nightly(settings: Any, out: Any = None, **params: Any) -> Any:
    """Run the nightly_ingest flow in this process with these settings (and flow ``params``, e.g. a
    backfill window), with a bar of the documents loaded so far when ``out`` (default stdout) and
    stderr are terminals. Workers in other processes (processes, dask) need a Prefect API to report to:
    without PREFECT_API_URL, a temporary local one is started for the run."""
    from flows.nightly import nightly_ingest
    from flows.progress import listening, progress_bars
    from flows.runners import api_for_workers

    with api_for_workers(settings), progress_bars(out) as bars:
        bar = bars.stage("documents loaded")  # no total: folders are read a batch at a time
        with listening(lambda what, done: bar(done)):
            return nightly_ingest(sources_file=str(settings.sources_file), db_path=str(settings.db_path),
                                  runner=settings.runner, dask_address=settings.dask_address or None, **params)


def clean_files(paths: Sequence[str]) -> Iterator[tuple[str, Any, str | None]]:
    """(path, Article or None, error or None) per file, cleaned exactly as the flow cleans."""
    from tasks.clean import clean_document
    from tasks.errors import BadDocument
    from tasks.sources import now_utc, read_file

    fetched_at = now_utc()
    for path in paths:
        try:
            yield path, clean_document(read_file(Path(path), "cli", fetched_at)), None
        except BadDocument as e:
            yield path, None, f"{e.reason}: {e.detail}"


def cmd_clean(args: argparse.Namespace, out: Any) -> int:
    for path, article, error in clean_files(args.paths):
        line: dict[str, Any] = {"path": path}
        if article is None:
            line["error"] = error
            _emit(out, args.format, line, None)
            continue
        line.update(
            url=article.url or article.canonical_url, title=article.title, authors=list(article.authors),
            published=article.published, language=article.language, text=article.text,
        )
        _emit(out, args.format, line, article.text)
    return 0


def _emit(out: Any, fmt: str, line: dict[str, Any], text: str | None) -> None:
    if fmt == "json":
        print(json.dumps(line, ensure_ascii=False), file=out)
    elif text is not None:
        print(text, end="\n\n", file=out)
    else:
        print(f"{line['path']}: {line['error']}", file=sys.stderr)


def cmd_events(args: argparse.Namespace, out: Any) -> int:
    from tasks.errors import ConfigError
    from tasks.events import extract_events

    if bool(args.paths) == bool(args.jsonl):
        raise ConfigError("give either PATHs or --jsonl FILE")
    if args.jsonl:
        docs = ((str(r["id"]), str(r["text"]), r.get("published"), None)
                for _, r in read_jsonl_records(Path(args.jsonl), required=("id", "text")))
    else:
        docs = ((path, a.text if a else "", a.published if a else None, error)
                for path, a, error in clean_files(args.paths))
    for doc_id, text, published, error in docs:
        line: dict[str, Any] = {"id": doc_id, "events": []}
        if error:
            line["error"] = error
        else:
            line["events"] = [e.to_json() for e in extract_events(doc_id, text, published)]
        print(json.dumps(line, ensure_ascii=False), file=out)
    return 0


def _explain_target(ref: str, db_path: Path) -> Any:
    """A file (cleaned as the flow cleans it) or an article id in the warehouse, as an Article."""
    from tasks.errors import NewsflowError
    from tasks.records import Article
    from tasks.warehouse import read_rows

    if Path(ref).is_file():
        _, article, error = next(clean_files([ref]))
        if article is None:
            raise NewsflowError(f"{ref}: cannot be cleaned: {error}")
        return article
    rows = read_rows(db_path, "article_by_id", [ref])
    if rows:
        r = rows[0]
        return Article(r["article_id"], r["raw_id"], r["source"], r["url"], r["canonical_url"], r["title"], (),
                       None, None, None, None, r["text"])
    raise NewsflowError(f"{ref}: no such file, and no article with that id in {db_path}")


def cmd_dedup(args: argparse.Namespace, out: Any) -> int:
    from tasks.dedup import MemoryIndex, dedup_batch, explain
    from tasks.records import Article
    from tasks.settings import Settings

    settings = Settings.from_env()
    if args.explain:
        a, b = (_explain_target(ref, settings.db_path) for ref in args.explain)
        ex = explain(a, b, threshold=settings.near_dup_threshold, k=settings.shingle_size)
        if args.format == "json":
            from dataclasses import asdict

            print(json.dumps({**asdict(ex), "duplicate": ex.duplicate}), file=out)
        else:
            print("\n".join(ex.lines()), file=out)
        return 0 if ex.duplicate else 1
    articles = [
        Article(
            article_id=str(rec["id"]), raw_id=str(rec["id"]), source="cli", url=rec.get("url"),
            canonical_url=None, title=rec.get("title"), authors=(), published=rec.get("published"),
            published_source=None, language=None, site_name=None, text=str(rec["text"]),
        )
        for _, rec in read_jsonl_records(Path(args.jsonl), required=("id", "text"))
    ]
    decisions, _ = dedup_batch(
        articles, MemoryIndex(), threshold=settings.near_dup_threshold, k=settings.shingle_size
    )
    for d in decisions:
        line = {"id": d.article_id, "duplicate_of": d.duplicate_of, "reason": d.reason, "score": d.score}
        print(json.dumps(line), file=out)
    return 0


def cmd_feed(args: argparse.Namespace, out: Any) -> int:
    from tasks.feeds import parse_feed
    from tasks.fetch import FEED_TYPES, Fetcher, FetchPolicy
    from tasks.settings import Settings
    from tasks.sources import LocalClient, now_utc

    settings = Settings.from_env()
    live = args.location.startswith(("http://", "https://"))
    with (Fetcher(FetchPolicy.from_settings(settings)) if live else LocalClient()) as client:
        resp = client.get(args.location, accept=FEED_TYPES)
    feed = parse_feed(resp.body, fetched_at=now_utc(), base_url=resp.url if live else None,
                      content_type=resp.content_type)
    if feed.warning:
        print(f"newsflow feed: warning: {feed.warning}", file=sys.stderr)
    for entry in feed.entries:
        print(json.dumps(entry.to_json(), ensure_ascii=False), file=out)
    return 0


def cmd_sources(args: argparse.Namespace, out: Any) -> int:
    from tasks.settings import Settings

    settings = Settings.from_env(sources_file=getattr(args, "sources", None), db_path=getattr(args, "db", None))
    if args.sources_command == "status":
        from tasks.warehouse import query, sql

        columns, rows = query(settings.db_path, sql("source_status"))
        print_table(columns, rows, out)
        return 0
    from tasks.sources import append_feeds, LocalClient

    if args.sources_command == "import":
        from tasks.feeds import parse_opml

        with LocalClient() as client:
            feeds = [(f.title, f.xml_url) for f in parse_opml(client.get(args.opml).body)]
        added, skipped = append_feeds(settings.sources_file, feeds)
        _report_added(out, settings.sources_file, added, skipped)
        return 0
    from tasks.errors import ConfigError
    from tasks.feeds import discover_feeds
    from tasks.fetch import PAGE_TYPES, Fetcher, FetchPolicy

    if not args.url.startswith(("http://", "https://")):
        raise ConfigError(f"not an http(s) URL: {args.url}")
    with Fetcher(FetchPolicy.from_settings(settings)) as fetcher:
        page = fetcher.get(args.url, accept=PAGE_TYPES)
    found = discover_feeds(page.body, page.url)
    if not found:
        print(f"no feeds declared in {page.url}", file=sys.stderr)
        return 1
    for f in found:
        print("\t".join([f.url, f.type or "", f.title or ""]), file=out)
    if args.add:
        added, skipped = append_feeds(settings.sources_file, [(f.title or f.url, f.url) for f in found])
        _report_added(out, settings.sources_file, added, skipped)
    return 0


def _report_added(out: Any, path: Path, added: Sequence[Any], skipped: Sequence[str]) -> None:
    names = ", ".join(s.name for s in added)
    print(f"added {len(added)} feed{'s' if len(added) != 1 else ''} to {path}" + (f": {names}" if names else ""),
          file=out)
    if skipped:
        print(f"skipped {len(skipped)} already listed (or not http(s))", file=out)


def cmd_sql(args: argparse.Namespace, out: Any) -> int:
    from tasks.settings import Settings
    from tasks.warehouse import query

    settings = Settings.from_env(db_path=args.db)
    columns, rows = query(settings.db_path, args.query)
    if args.format == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False), file=out)
    elif args.format == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print_table(columns, rows, out)
    return 0


# --------------------------------------------------------------------------- helpers


def read_jsonl_records(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    """JSON objects from a JSONL file; a bad line is a one-line ConfigError naming the line."""
    from tasks.errors import ConfigError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise ConfigError(f"{path}:{n}: not valid JSON ({e})") from None
        if not isinstance(rec, dict) or any(k not in rec for k in required):
            raise ConfigError(f"{path}:{n}: each line must be a JSON object with {', '.join(required)}")
        yield n, rec


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: Any, max_width: int = 60) -> None:
    def cell(v: Any) -> str:
        s = "" if v is None else str(v).replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in body:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip(), file=out)
    print(f"({len(body)} row{'s' if len(body) != 1 else ''})", file=out)


def cmd_reprocess(args: argparse.Namespace, out: Any) -> int:
    from flows.progress import progress_bars
    from flows.reprocess import reprocess, stages_from
    from tasks.errors import ConfigError, NewsflowError
    from tasks.events import EXTRACTOR_VERSION, dictionary_version
    from tasks.settings import Settings

    stages = stages_from(args.clean, args.dedup, args.events)
    if not stages:
        raise ConfigError("choose what to recompute: --clean, --dedup and/or --events")
    settings = Settings.from_env(db_path=args.db)
    if args.page_size < 1:
        raise NewsflowError(f"--page-size must be at least 1, got {args.page_size}")
    if not settings.db_path.is_file():
        raise NewsflowError(f"{settings.db_path}: no warehouse there yet (run `newsflow ingest` first)")
    units = {"clean": "raw documents", "dedup": "articles", "events": "unique articles"}
    with progress_bars(out) as bars:
        done = reprocess(settings, stages, args.page_size,
                         lambda stage, total: bars.stage(f"reprocess {stage} ({units[stage]})", total))
    for stage, s in done.items():
        if stage == "clean":
            line = (f"{s.documents} raw documents: {s.articles} articles ({s.changed} texts changed, {s.new} new, "
                    f"{s.removed} removed), {s.failures} clean failures")
        elif stage == "dedup":
            line = (f"{s.articles} articles in {s.runs} runs: duplicates {s.duplicates_before} -> "
                    f"{s.duplicates_after}, {s.changed} decisions changed")
        else:
            line = (f"{s.articles} articles, event mentions {s.mentions_before} -> {s.mentions_after} "
                    f"(extractor {EXTRACTOR_VERSION}, dictionaries {dictionary_version()})")
        print(f"reprocess {stage}: {line}", file=out)
    return 0


def cmd_backfill(args: argparse.Namespace, out: Any) -> int:
    from tasks.backfill import parse_window
    from tasks.report import format_summary
    from tasks.settings import Settings
    from tasks.sources import load_sources
    from tasks.warehouse import check_writable, query, sql

    date_from, date_to = parse_window(args.date_from, args.date_to)
    settings = Settings.from_env(sources_file=args.sources, db_path=args.db)
    load_sources(settings.sources_file)  # fail fast, in one line, before Prefect starts
    check_writable(settings.db_path)
    summary = run_nightly(settings, out, published_from=date_from, published_to=date_to)
    print(f"backfill of articles published {date_from} to {date_to}:", file=out)
    print(format_summary(summary), file=out)
    print(f"\nwarehouse {settings.db_path}:", file=out)
    columns, rows = query(settings.db_path, sql("table_counts"))
    print_table(columns, rows, out)
    return 0


def cmd_runs(args: argparse.Namespace, out: Any) -> int:
    from tasks.errors import ConfigError
    from tasks.report import run_records, runs_table
    from tasks.settings import Settings
    from tasks.warehouse import query, sql

    if args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    settings = Settings.from_env(db_path=args.db)
    columns, rows = query(settings.db_path, sql("recent_runs"), [args.limit])
    if args.format == "json":
        for rec in run_records(columns, rows):
            print(json.dumps(rec, default=str, ensure_ascii=False), file=out)
    else:
        print_table(*runs_table(columns, rows), out)
    return 0


def cmd_export(args: argparse.Namespace, out: Any) -> int:
    from tasks.export import export_parquet
    from tasks.settings import Settings

    settings = Settings.from_env(db_path=args.db)
    summary = export_parquet(settings.db_path, Path(args.parquet))
    print("\n".join(summary.lines()), file=out)
    print(f"exported {settings.db_path} to {summary.out_dir} in {summary.seconds:.1f} s", file=out)
    return 0


def cmd_snapshot(args: argparse.Namespace, out: Any) -> int:
    from tasks.export import snapshot
    from tasks.settings import Settings

    settings = Settings.from_env(db_path=args.db)
    s = snapshot(settings.db_path, Path(args.path))
    print(f"snapshot of {settings.db_path} published at {s.path} ({s.bytes:,} bytes, {s.method}, "
          f"{s.seconds:.1f} s); open it with duckdb.connect({str(s.path)!r}, read_only=True)", file=out)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    "ingest": cmd_ingest, "clean": cmd_clean, "events": cmd_events, "dedup": cmd_dedup, "sql": cmd_sql,
    "feed": cmd_feed, "sources": cmd_sources, "reprocess": cmd_reprocess,
    "backfill": cmd_backfill, "runs": cmd_runs,
    "export": cmd_export, "snapshot": cmd_snapshot,
}


def main(argv: Sequence[str] | None = None, out: Any = None) -> int:
    args = build_parser().parse_args(argv)
    prefect_env_defaults()
    from tasks.errors import NewsflowError

    try:
        return COMMANDS[args.command](args, out or sys.stdout)
    except NewsflowError as e:
        print(f"newsflow {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("newsflow: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
