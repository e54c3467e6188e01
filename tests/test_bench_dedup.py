"""bench/bench_dedup.py's warehouse builder, at a tiny size (the benchmark itself is `make bench-dedup`).

The synthetic rows must be what the pipeline would have written: readable through
tasks.warehouse.WarehouseIndex, with band keys equal to tasks.dedup.band_keys of their signature.
Material: the real texts in tests/data/dedup_gate/ (no ../shared needed).
"""

import numpy as np
import pytest

from bench.bench_dedup import (
    CountingIndex,
    build_warehouse,
    shape_from_texts,
    synthetic_keys,
    synthetic_signatures,
    synthetic_text,
)
from bench.dedup_scoring import read_jsonl, to_article
from tasks.dedup import BANDS, LEAD_BANDS, NUM_PERM, _LEAD_SALT, band_keys, canonical_url, dedup_batch, text_hash
from tasks.warehouse import WarehouseIndex, connect
from tests.conftest import DATA

ROWS = read_jsonl(DATA / "dedup_gate" / "articles.jsonl")
ORIGINALS = [r for r in ROWS if r["perturbation"] == "original"]
STORED = ORIGINALS[:2]  # stored as real articles; their variants come "tonight"
SIZE = 200


@pytest.fixture(scope="module")
def shape():
    return shape_from_texts([r["text"] for r in ORIGINALS[2:]])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, shape):
    db = tmp_path_factory.mktemp("bench-dedup") / "stored-200.duckdb"
    built = build_warehouse(db, SIZE, shape, [to_article(r) for r in STORED], chunk=64, progress=None)
    return db, built


def test_synthetic_band_keys_equal_tasks_dedup(shape):
    sig, lead, counts = synthetic_signatures(shape, np.random.default_rng(7), 40)
    assert sig.shape == (40, NUM_PERM) and lead.shape == (40, 2 * LEAD_BANDS)
    assert (sig < (1 << 31) - 1).all() and (lead < (1 << 31) - 1).all() and (counts > 0).all()
    keys = synthetic_keys(sig, lead)
    assert keys.shape == (40, BANDS + LEAD_BANDS) and keys.dtype == np.int64
    for r in range(40):
        assert tuple(keys[r].tolist()) == band_keys(sig[r]) + band_keys(lead[r], LEAD_BANDS, _LEAD_SALT)


def test_builder_writes_the_requested_rows(warehouse):
    db, built = warehouse
    assert built["articles"] == built["signatures"] == SIZE
    assert built["band_rows"] == SIZE * (BANDS + LEAD_BANDS)
    assert built["originals"] == len(STORED) and built["synthetic"] == SIZE - len(STORED)
    assert db.is_file() and not db.with_name(db.name + ".partial").exists()


def test_synthetic_rows_are_readable_by_warehouse_index(warehouse):
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        ids = [r[0] for r in con.execute(
            "SELECT article_id FROM staging.articles WHERE source = 'synthetic' ORDER BY url LIMIT 5").fetchall()]
        stored_keys = {aid: [k for (k,) in con.execute(
            "SELECT band_key FROM staging.lsh_bands WHERE article_id = ?", [aid]).fetchall()] for aid in ids}
        urls = dict(con.execute("SELECT article_id, url_key FROM staging.articles WHERE article_id IN "
                                "(SELECT unnest(?::VARCHAR[]))", [ids]).fetchall())
    assert len(ids) == 5
    with WarehouseIndex(db) as index:
        sigs = index.signatures(ids)
        texts = index.texts(ids)
        for aid in ids:
            keys = stored_keys[aid]
            assert len(keys) == BANDS + LEAD_BANDS
            matches = index.band_matches(keys)
            assert all(aid in matches[k] for k in keys)
            sig, count = sigs[aid]
            assert sig.shape == (NUM_PERM,) and count > 0
            assert set(band_keys(sig)) <= set(keys)  # the 64 full-text keys; the other 16 are lead keys
            assert texts[aid] == synthetic_text(int(urls[aid].rsplit("/", 1)[1]))
            assert index.find_hashes([text_hash(texts[aid])]) == {text_hash(texts[aid]): aid}  # sha256(lower(text))
            assert index.find_urls([canonical_url(urls[aid])]) == {canonical_url(urls[aid]): aid}


def test_tonight_finds_the_stored_originals(warehouse):
    db, _ = warehouse
    stored = {r["cluster_id"]: r["id"] for r in STORED}
    tonight = [to_article(r) for r in ROWS if r["cluster_id"] in stored and r["perturbation"] != "original"]
    index = CountingIndex(db)
    try:
        decisions, _ = dedup_batch(tonight, index, threshold=0.8, k=3)
    finally:
        index.close()
    cluster = {r["id"]: r["cluster_id"] for r in ROWS}
    assert [d.duplicate_of for d in decisions] == [stored[cluster[a.article_id]] for a in tonight]
    assert index.calls["band_matches"] == 1 and index.returned["band_matches"] > 0
