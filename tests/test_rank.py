"""Whole-space ranking: the bulk NB101 path gives today's graphs and scores (ranker.predict)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import narank
from narank.graphs import dense_batch, to_batch
from narank.rank import rank_space, score_dense, write_ranking
from narank.spaces import get_space, nb101_enumerate


@pytest.fixture(scope="module")
def small_table():
    """NB101 cells with at most 5 vertices (2,532 cells; seconds to enumerate, no cache needed)."""
    return nb101_enumerate.build_space(max_vertices=5, n_jobs=1, progress=False)


@pytest.fixture(scope="module")
def ranker():
    return narank.load_pretrained("nb101")


def test_dense_batch_equals_per_cell_batch(small_table):
    space = get_space("nb101")
    rows = np.random.default_rng(0).choice(len(small_table), 300, replace=False)
    rows.sort()
    for a, b in ((int(rows[0]), int(rows[0]) + 300), (0, len(small_table))):
        dense = small_table.dense(a, b)
        cells = [small_table.cell(h) for h in small_table.hashes[a:b]]
        assert [space.canonical_id(c) for c in cells] == dense.ids.tolist()
        for feats in ((), ("flops", "params")):
            fast, slow = dense_batch(space, dense, feats), to_batch(cells, feats)
            for key in ("x", "edge_index", "edge_attr", "batch", "ptr"):
                assert torch.equal(getattr(fast, key), getattr(slow, key)), key


def test_bulk_scores_equal_predict(small_table, ranker):
    dense = small_table.dense(0, len(small_table))
    scores, tiers = score_dense(ranker, dense)
    ref_scores, ref_tiers = ranker.rank(small_table.cells())
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-4)
    assert (tiers == ref_tiers).mean() > 0.999


def test_rank_space_in_blocks_and_out_file(small_table, ranker, monkeypatch, tmp_path):
    import pyarrow.parquet as pq

    monkeypatch.setattr(nb101_enumerate, "load_space", lambda *a, **k: small_table)
    monkeypatch.setattr(type(get_space("nb101")), "dense_count", lambda self: len(small_table))
    ranking = rank_space("nb101", ranker, block=1000, progress=False)
    assert ranking.ids.tolist() == small_table.hashes.tolist()
    np.testing.assert_allclose(ranking.scores, ranker.predict(small_table.cells()), rtol=1e-5, atol=1e-4)
    top = ranking.top(5)
    assert list(ranking.scores[top]) == sorted(ranking.scores, reverse=True)[:5]
    write_ranking(ranking, tmp_path / "r.parquet")
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.column_names == ["id", "score", "tier"] and table.num_rows == len(small_table)


def test_whole_space_sample_when_cached(ranker):
    """On the real 423,624-cell enumeration (only where its cache exists): a sample matches predict."""
    if not nb101_enumerate.cache_path().exists():
        pytest.skip("NB101 enumeration cache absent (narank enumerate --count builds it)")
    table = nb101_enumerate.load_space(progress=False)
    space = get_space("nb101")
    for a in np.random.default_rng(1).choice(len(table) - 500, 3, replace=False):
        dense = space.dense_cells(int(a), int(a) + 500)
        cells = [table.cell(h) for h in dense.ids]
        np.testing.assert_allclose(score_dense(ranker, dense)[0], ranker.predict(cells), rtol=1e-5, atol=1e-4)


def test_rank_refuses_other_space(ranker):
    from narank.errors import NarankError

    with pytest.raises(NarankError, match="nb101 cells, not nb201"):
        rank_space("nb201", ranker, progress=False)


def test_cli_rank_prints_readable_cells_best_first(capsys):
    import json

    from narank.cli import main
    from narank.spaces import get_space

    assert main(["rank", "--space", "nb201", "--pretrained", "nb201-cifar10", "--top", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    space = get_space("nb201")
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for r in rows:  # the label is the arch string of the printed index
        assert r["label"].startswith("|") and r["label"] == space.label(space.parse(int(r["index"])))


def test_bulk_refusal_names_the_missing_bulk_sed(monkeypatch):
    """A ranker whose graph features the bulk path cannot compute is refused with the real reason."""
    from narank.errors import NarankError
    from narank.predictor import Ranker
    from narank.spaces.base import DENSE_SED_VIEWS

    space = get_space("nb101")
    cells = space.sample(12, np.random.default_rng(0))
    fitted = Ranker("nb101", "cifar10", graph_features=("sed",), tabular=None, epochs=1, dim=8, layers=1,
                    random_state=0).fit(cells, np.linspace(80, 94, len(cells)))
    monkeypatch.setattr(type(DENSE_SED_VIEWS), "__contains__", lambda self, name: False)
    with pytest.raises(NarankError, match="no bulk SED view"):
        rank_space("nb101", fitted, progress=False)


def test_cli_rank_out_creates_folders_and_refuses_a_folder(tmp_path, capsys):
    """`--out` behaves as everywhere else: missing folders are made, a folder path is refused
    before any work (exit 2, nothing written)."""
    import pyarrow.parquet as pq

    from narank.cli import main

    out = tmp_path / "new" / "sub" / "ranking.parquet"
    assert main(["rank", "--space", "nb201", "--pretrained", "nb201-cifar10", "--top", "1", "--json",
                 "--out", str(out)]) == 0
    assert pq.read_table(out).num_rows == 15625
    capsys.readouterr()
    assert main(["rank", "--space", "nb201", "--pretrained", "nb201-cifar10", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]
