"""Bench: the README's five analyst queries on a warehouse of 1,000,000 event mentions.

The queries are read from README.md ("### Analyst queries", its five ```sql blocks), so the
bench times exactly what is documented. Each runs on a read-only connection, as an analyst's
would: one warm-up run, then ``--repeat`` (default 3) timed runs, each from ``execute`` until
every row has been fetched into Python (``fetchall``); the median is reported against the 1 s
goal. Exit status 1 when any query's median is over the goal.

The warehouse (built once, cached in bench/out/queries-warehouse/mentions-<N>.duckdb with a
.json sidecar; rebuilt when missing, when the generator or the migrations changed, or with
``--rebuild``) is created by the project's migrations (``tasks.warehouse.migrate``) and filled
with bulk ``INSERT ... SELECT`` from SQL ``range()``, deterministic (hash-based, no RNG):

- 100,000 real-world events (one per ``MENTIONS_PER_EVENT`` mentions) over two years
  (2023-01-01 + 0..729 days): a PLOVER type (skewed: assaults, accusations and consultations
  are the most common), actor, recipient and place countries drawn from 60 ISO codes with a
  Zipf-like skew (a few countries dominate, as in the news), casualties for 40% of assaults;
- N event mentions (default 1,000,000, ~10 per event, Poisson-like): each reports a random
  event; 5% leave the actor unnamed and 10% the recipient (the clusters view fills them in);
  25% carry no event date (the article's publication date is used), 10% are dated a day later;
  a ~120-character sentence;
- 4 candidate articles per event (400,000 originals; those with mentions are published on the
  event's day or the next), from 40 sources and 300 outlets, each with a raw document;
- 60,000 duplicates (13%) of random originals: url, exact, near copies and new versions, on
  other outlets, a day or two later (no mentions: events come from unique articles only).

Before timing, the cached file is opened for writing once, as a load transaction does: migrated
(``migrate`` re-creates the views, so edits to ``warehouse/views/`` are measured without a
rebuild), then ``tasks.warehouse.refresh_event_tables`` refills the derived event tables
(``staging.event_clusters``, ``marts.events``); its time is reported too, since every load pays it.

    make bench-queries               # or: .venv/bin/python bench/bench_queries.py
    .venv/bin/python bench/bench_queries.py [--mentions 1000000] [--repeat 3] [--rebuild] [--explain]

Results: the table on stdout and bench/out/bench-queries.json. ``--explain`` also writes
EXPLAIN ANALYZE of each query to bench/out/bench-queries-explain-<n>.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from tasks.warehouse import SQL_DIR, migrate, refresh_event_tables  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
CACHE = OUT_DIR / "queries-warehouse"
GOAL_SECONDS = 1.0

#: The generator. Changing any of these (or GENERATOR_SQL, or the migrations) invalidates the cache.
MENTIONS_PER_EVENT = 10
ARTICLES_PER_EVENT = 4
DUPLICATES_SHARE = 0.15  # of originals
DAYS = 730
START = "2023-01-01"
TYPES = ["ASSAULT", "ACCUSE", "CONSULT", "COERCE", "THREATEN", "PROTEST", "SUPPORT", "REQUEST",
         "AGREE", "REJECT", "COOPERATE", "AID", "SANCTION", "MOBILIZE", "RETREAT", "CONCEDE"]
COUNTRIES = ["USA", "RUS", "UKR", "ISR", "PSE", "CHN", "IRN", "IRQ", "SYR", "GBR", "FRA", "DEU", "TUR",
             "IND", "PAK", "AFG", "YEM", "SAU", "LBN", "EGY", "SDN", "NGA", "ETH", "SOM", "KEN", "COD",
             "MLI", "BFA", "NER", "LBY", "JPN", "KOR", "PRK", "TWN", "PHL", "MMR", "BGD", "IDN", "AUS",
             "BRA", "MEX", "COL", "VEN", "ARG", "CAN", "POL", "ITA", "ESP", "NLD", "BEL", "SWE", "NOR",
             "GRC", "SRB", "HUN", "ARM", "AZE", "GEO", "QAT", "ARE"]
SECTORS = ["GOV", "MIL", "REB", "POL", "BUS", "CVL", "MED", "JUD", "COP"]
MODES = ["airstrike", "shelling", "shooting", "bombing", "raid", "drone", None, None]

# u(x, salt): a deterministic uniform value in [0, 1) from a hash (parallel-safe, unlike random()).
GENERATOR_SQL = r"""
CREATE OR REPLACE TEMP MACRO u(x, salt) AS (hash(x, salt) % 1000003) / 1000003.0;
CREATE OR REPLACE TEMP MACRO pick(xs, r) AS xs[1 + least(CAST(floor(r * len(xs)) AS BIGINT), len(xs) - 1)];

CREATE TEMP TABLE gen_events AS
SELECT e,
       CAST($start AS DATE) + CAST(floor(u(e, 1) * $days) AS INTEGER)          AS day,
       pick($types, pow(u(e, 2), 1.6))                                        AS event_type,
       pick($countries, pow(u(e, 3), 2.5))                                    AS actor_country,
       pick($countries, pow(u(e, 4), 2.5))                                    AS recipient_country,
       u(e, 5)                                                                 AS place_roll,
       pick($sectors, u(e, 6))                                                AS actor_sector,
       pick($sectors, u(e, 7))                                                AS recipient_sector,
       pick($modes, u(e, 8))                                                  AS mode,
       u(e, 9)                                                                 AS casualty_roll
FROM range($n_events) t(e);

CREATE TEMP TABLE gen_articles AS
SELECT a, md5('article-' || a) AS article_id, g.day + CAST(a % 2 AS INTEGER) AS day,
       'feed-' || (a % 40) AS source,
       'https://www.outlet' || (hash(a, 20) % 300) || '.example/news/' || a AS url
FROM range($n_articles) t(a)
JOIN gen_events g ON g.e = a // $articles_per_event;

INSERT INTO raw.documents (raw_id, source, locator, kind, url, title, published, authors, content_hash, body,
                           fetched_at, run_id, version)
SELECT article_id, source, url, 'html', url, 'Title of story ' || a, day::VARCHAR, [], md5(url), 'x'::BLOB,
       day::TIMESTAMPTZ + INTERVAL 3 HOUR, 'bench', 1
FROM gen_articles;

INSERT INTO staging.articles (article_id, raw_id, source, url, canonical_url, url_key, title, authors, published_at,
                              published_date, published_source, language, site_name, text, text_hash, word_count,
                              run_id, tags)
SELECT article_id, article_id, source, url, url, url, 'Title of story ' || a, ['Reporter ' || (a % 500)],
       day::TIMESTAMPTZ + INTERVAL 2 HOUR, day, 'meta', 'en', NULL,
       repeat('Body text of the story, with several words in each sentence. ', 6), md5('text-' || a),
       60 + CAST(a % 700 AS INTEGER), 'bench', []
FROM gen_articles;

-- duplicates: copies (url / exact / near) and new versions of random originals
CREATE TEMP TABLE gen_dups AS
SELECT d, md5('duplicate-' || d) AS article_id, o.article_id AS duplicate_of, o.a,
       CASE WHEN u(d, 31) < 0.3 THEN 'url' WHEN u(d, 31) < 0.6 THEN 'exact'
            WHEN u(d, 31) < 0.9 THEN 'near' ELSE 'version' END AS reason,
       o.day + CAST(1 + d % 2 AS INTEGER) AS day, o.url AS original_url,
       'https://www.outlet' || (hash(d, 32) % 300) || '.example/copy/' || d AS copy_url,
       'feed-' || (d % 40) AS source
FROM range($n_duplicates) t(d)
JOIN gen_articles o ON o.a = CAST(floor(u(d, 30) * $n_articles) AS BIGINT);

INSERT INTO raw.documents (raw_id, source, locator, kind, url, title, published, authors, content_hash, body,
                           fetched_at, run_id, version)
SELECT article_id, source, 'copy-' || d, 'html', CASE WHEN reason IN ('url', 'version') THEN original_url ELSE copy_url END,
       'Title of story ' || a, day::VARCHAR, [], md5('copy-' || d), 'x'::BLOB, day::TIMESTAMPTZ + INTERVAL 3 HOUR,
       'bench', CASE WHEN reason = 'version' THEN 2 ELSE 1 END
FROM gen_dups;

INSERT INTO staging.articles (article_id, raw_id, source, url, canonical_url, url_key, title, authors, published_at,
                              published_date, published_source, language, site_name, text, text_hash, word_count,
                              run_id, tags)
SELECT article_id, article_id, source, CASE WHEN reason IN ('url', 'version') THEN original_url ELSE copy_url END,
       NULL, CASE WHEN reason IN ('url', 'version') THEN original_url ELSE copy_url END,
       'Title of story ' || a, [], day::TIMESTAMPTZ + INTERVAL 5 HOUR, day, 'meta', 'en', NULL,
       repeat('Body text of the copy, with several words in each sentence. ', 6), md5('copy-text-' || d),
       CASE WHEN reason = 'near' THEN 40 ELSE 60 + CAST(a % 700 AS INTEGER) END, 'bench', []
FROM gen_dups;

INSERT INTO staging.duplicates (article_id, duplicate_of, reason, score, run_id)
SELECT article_id, duplicate_of, reason, CASE WHEN reason = 'near' THEN 0.85 WHEN reason = 'version' THEN 0.6 END, 'bench'
FROM gen_dups;

-- mentions: each reports a random event, in one of that event's articles
INSERT INTO staging.event_mentions
    (mention_id, article_id, sentence_idx, sentence, sentence_start, sentence_end, event_type, mode, trigger,
     actor_text, actor_name, actor_country, actor_sector, recipient_text, recipient_name, recipient_country,
     recipient_sector, event_date, date_precision, place_name, place_country, dead, injured, reported_only,
     confidence, extractor_version, run_id, cameo_root, quad_class, dictionary_version, place_admin1, place_lat,
     place_lon, place_precision, arrested)
SELECT md5('mention-' || m), md5('article-' || (g.e * $articles_per_event + CAST(floor(u(m, 11) * $articles_per_event) AS BIGINT))),
       CAST(m % 30 AS INTEGER),
       'Officials said forces of ' || g.actor_country || ' moved against ' || g.recipient_country ||
           ' on the day in question, in an incident reported as number ' || m || '.',
       CAST(m % 30 AS INTEGER) * 130, CAST(m % 30 AS INTEGER) * 130 + 120,
       g.event_type, CASE WHEN g.event_type = 'ASSAULT' THEN g.mode END, lower(g.event_type),
       CASE WHEN u(m, 12) < 0.05 THEN NULL ELSE 'the ' || g.actor_country || ' side' END,
       CASE WHEN u(m, 12) < 0.05 THEN NULL ELSE 'Government of ' || g.actor_country END,
       CASE WHEN u(m, 12) < 0.05 THEN NULL ELSE g.actor_country END,
       CASE WHEN u(m, 12) < 0.05 THEN NULL ELSE g.actor_sector END,
       CASE WHEN u(m, 13) < 0.10 THEN NULL ELSE 'the ' || g.recipient_country || ' side' END,
       CASE WHEN u(m, 13) < 0.10 THEN NULL ELSE 'Government of ' || g.recipient_country END,
       CASE WHEN u(m, 13) < 0.10 THEN NULL ELSE g.recipient_country END,
       CASE WHEN u(m, 13) < 0.10 THEN NULL ELSE g.recipient_sector END,
       CASE WHEN u(m, 14) < 0.25 THEN NULL WHEN u(m, 14) < 0.35 THEN g.day + 1 ELSE g.day END,
       CASE WHEN u(m, 14) < 0.25 THEN NULL ELSE 'day' END,
       CASE WHEN g.place_roll < 0.2 THEN NULL ELSE 'City ' || (g.e % 97) END,
       CASE WHEN g.place_roll < 0.2 THEN NULL WHEN g.place_roll < 0.7 THEN g.recipient_country ELSE g.actor_country END,
       CASE WHEN g.event_type = 'ASSAULT' AND g.casualty_roll < 0.4 THEN CAST(floor(u(m, 15) * 12) AS INTEGER) END,
       CASE WHEN g.event_type = 'ASSAULT' AND g.casualty_roll < 0.4 THEN CAST(floor(u(m, 16) * 30) AS INTEGER) END,
       u(m, 17) < 0.1, 0.5 + u(m, 18) / 2, '0.1.0', 'bench', '19', 4, 'bench-dict',
       NULL, NULL, NULL, CASE WHEN g.place_roll < 0.2 THEN NULL ELSE 'city' END,
       CASE WHEN g.event_type = 'COERCE' AND g.casualty_roll < 0.3 THEN CAST(floor(u(m, 19) * 20) AS INTEGER) END
FROM range($n_mentions) t(m)
JOIN gen_events g ON g.e = CAST(floor(u(m, 10) * $n_events) AS BIGINT);
"""


def readme_queries() -> list[str]:
    """The five ```sql blocks of README.md's "### Analyst queries" section, as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Analyst queries", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def query_title(text: str, n: int) -> str:
    m = re.search(r"FROM\s+([a-z_]+\.[a-z_]+)", text)
    return f"q{n + 1} {m.group(1) if m else ''}".strip()


def generator_key(n_mentions: int) -> str:
    h = hashlib.sha256()
    for part in (GENERATOR_SQL, json.dumps([MENTIONS_PER_EVENT, ARTICLES_PER_EVENT, DUPLICATES_SHARE, DAYS, START,
                                            TYPES, COUNTRIES, SECTORS, MODES, n_mentions])):
        h.update(part.encode())
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def build(path: Path, n_mentions: int) -> dict:
    """Create the warehouse at `path` (replacing it): migrations, then the generator."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    n_events = max(1, n_mentions // MENTIONS_PER_EVENT)
    n_articles = n_events * ARTICLES_PER_EVENT
    params = {
        "start": START, "days": DAYS, "types": TYPES, "countries": COUNTRIES, "sectors": SECTORS, "modes": MODES,
        "n_events": n_events, "n_articles": n_articles, "articles_per_event": ARTICLES_PER_EVENT,
        "n_duplicates": int(n_articles * DUPLICATES_SHARE), "n_mentions": n_mentions,
    }
    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN TRANSACTION")
        migrate(con)
        con.execute("COMMIT")
        for statement in [s for s in GENERATOR_SQL.split(";\n") if s.strip()]:
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used)
        con.execute("CHECKPOINT")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 (fixed names)
                  for t in ("staging.articles", "staging.duplicates", "staging.event_mentions")}
    finally:
        con.close()
    return {"seconds": round(time.perf_counter() - t0, 1), "rows": counts, "params": {
        k: v for k, v in params.items() if isinstance(v, (int, str))}}


def warehouse(n_mentions: int, rebuild: bool) -> tuple[Path, dict]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"mentions-{n_mentions}.duckdb"
    sidecar = path.with_suffix(".json")
    key = generator_key(n_mentions)
    if not rebuild and path.is_file() and sidecar.is_file():
        meta = json.loads(sidecar.read_text())
        if meta.get("key") == key:
            meta["cached"] = True
            return path, meta
    print(f"building {path.relative_to(ROOT)} ({n_mentions:,} mentions) ...", flush=True)
    meta = {"key": key, **build(path, n_mentions)}
    sidecar.write_text(json.dumps(meta, indent=2))
    meta["cached"] = False
    return path, meta


def refresh(path: Path) -> tuple[float, float]:
    """As the load does: apply pending migrations and re-create the views, then
    refill the derived event tables (``refresh_event_tables``). Returns the seconds of each."""
    con = duckdb.connect(str(path))
    try:
        t0 = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        migrate(con)
        t1 = time.perf_counter()
        refresh_event_tables(con)
        con.execute("COMMIT")
        t2 = time.perf_counter()
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return t1 - t0, t2 - t1


def time_query(con: duckdb.DuckDBPyConnection, text: str, repeat: int) -> tuple[list[float], int]:
    rows = len(con.execute(text).fetchall())  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(text).fetchall()
        times.append(time.perf_counter() - t0)
    return times, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mentions", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--explain", action="store_true", help="write EXPLAIN ANALYZE of each query to bench/out/")
    args = ap.parse_args(argv)

    path, meta = warehouse(args.mentions, args.rebuild)
    migrate_s, refresh_s = refresh(path)
    queries = readme_queries()
    assert len(queries) == 5, f"README.md has {len(queries)} analyst queries, expected 5"
    results = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        events, mentions = con.execute(
            "SELECT (SELECT count(*) FROM marts.events), (SELECT count(*) FROM staging.event_mentions)").fetchone()
        for n, text in enumerate(queries):
            times, rows = time_query(con, text, args.repeat)
            median = statistics.median(times)
            results.append({"query": query_title(text, n), "sql": text, "rows": rows,
                            "seconds": [round(t, 4) for t in times], "median_seconds": round(median, 4),
                            "under_goal": median < GOAL_SECONDS})
            if args.explain:
                plan = con.execute("EXPLAIN ANALYZE " + text).fetchall()
                (OUT_DIR / f"bench-queries-explain-{n + 1}.txt").write_text("\n".join(r[1] for r in plan))
    finally:
        con.close()

    report = {
        "goal_seconds": GOAL_SECONDS, "mentions": mentions, "real_world_events": events,
        "warehouse": str(path.relative_to(ROOT)), "warehouse_mb": round(path.stat().st_size / 1e6, 1),
        "build": meta, "migrate_seconds": round(migrate_s, 3),
        "refresh_event_tables_seconds": round(refresh_s, 2), "repeat": args.repeat,
        "duckdb": duckdb.__version__, "cpus": os.cpu_count(), "queries": results,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "bench-queries.json").write_text(json.dumps(report, indent=2))

    print(f"warehouse: {mentions:,} event mentions, {events:,} real-world events, {report['warehouse_mb']} MB"
          f" ({'cached' if meta['cached'] else 'built'} in {meta['seconds']} s)")
    print(f"refresh_event_tables (once per night, after the last batch): {refresh_s:.1f} s")
    print(f"{'query':<28} {'rows':>8} {'median s':>9}  goal < {GOAL_SECONDS:g} s")
    for r in results:
        print(f"{r['query']:<28} {r['rows']:>8} {r['median_seconds']:>9.3f}  {'ok' if r['under_goal'] else 'OVER'}")
    print(f"(median of {args.repeat} runs after one warm-up; bench/out/bench-queries.json)")
    return 0 if all(r["under_goal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
