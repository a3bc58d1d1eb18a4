"""Process-wide memos are owned: bounded, listed, and emptied by `narank.clear_caches()`."""

from __future__ import annotations

import numpy as np
import pytest

import narank
from narank import graf
from narank.caches import CACHES, Cache
from narank.spaces import get_space


def test_cache_is_bounded_and_least_recently_used_goes_first():
    cache: Cache[int, str] = Cache("test lru", 2)
    try:
        cache[1], cache[2] = "a", "b"
        assert cache[1] == "a"  # 1 is now the most recent
        cache[3] = "c"
        assert 2 not in cache and 1 in cache and 3 in cache and len(cache) == 2
        assert cache.setdefault(4, "d") == "d" and 1 not in cache
        with pytest.raises(ValueError, match="exists already"):
            Cache("test lru", 2)
    finally:
        CACHES.pop("test lru")


def test_clear_caches_empties_every_memo_and_results_stay_the_same():
    space = get_space("nb201")
    cells = space.sample(50, 0)
    first = graf.graf_features(space, cells)
    assert len(graf._CACHE) > 0 and "graf structures" in CACHES
    narank.clear_caches()
    assert all(len(c) == 0 for c in CACHES.values())
    np.testing.assert_array_equal(graf.graf_features(space, cells), first)
