"""The ranker inside search: `SearchConfig.recipe` picks the GNN alone or Ranker()'s blend recipe."""

from __future__ import annotations

import pytest

from narank.errors import NarankError
from narank.predictor import Ranker
from narank.search.loop import SearchConfig, make_ranker


def test_an_unknown_recipe_is_refused_naming_the_choices():
    with pytest.raises(NarankError, match="recipe 'xgb'.*gnn, blend"):
        SearchConfig(recipe="xgb")


def test_the_blend_recipe_is_the_default_rankers_inputs_at_the_search_network_size():
    cfg = SearchConfig(recipe="blend")
    blend, gnn = make_ranker("nb201", "cifar10", cfg, 3), make_ranker("nb201", "cifar10", SearchConfig(), 3)
    default = Ranker()
    for name in ("node_features", "graph_features", "tabular"):
        assert blend.get_params()[name] == default.get_params()[name]
    assert (gnn.tabular, tuple(gnn.graph_features), tuple(gnn.node_features)) == (None, (), ())
    for ranker in (blend, gnn):  # the search's small network and schedule either way
        settings = (ranker.dim, ranker.layers, ranker.epochs, ranker.random_state)
        assert settings == (cfg.dim, cfg.layers, cfg.epochs, 3)


def test_a_blend_search_refits_the_blended_ranker_every_round(c10, monkeypatch):
    """Boosted trees do not warm-start well on a growing label set: every round fits afresh, and each
    fitted ranker has its tabular half (the GNN-only loop warm-starts and has none)."""
    from narank.search.harness import run_method

    fits: dict[str, list] = {}
    original = Ranker.fit

    def recording(self, cells, y, **kw):
        out = original(self, cells, y, **kw)
        fits.setdefault(current, []).append((len(cells), self.warm_start, hasattr(self, "tabular_")))
        return out

    monkeypatch.setattr(Ranker, "fit", recording)
    for current in ("narank-blend", "narank"):
        run = run_method(current, c10, 30, 0, epochs=5, update_epochs=2)
        assert len(run.history) == 30
    assert [n for n, _, _ in fits["narank-blend"]] == [10, 20]
    assert all(not warm and trees for _, warm, trees in fits["narank-blend"])
    assert [warm for _, warm, _ in fits["narank"]] == [False, True]
    assert not any(trees for _, _, trees in fits["narank"])
