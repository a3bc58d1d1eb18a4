"""Process-wide memos, owned in one place: each is bounded (least recently used out first), named,
and listed, so `clear_caches()` empties them all (tests, long-lived processes, a changed data file)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """A bounded LRU mapping with the dict operations narank's memos use."""

    def __init__(self, name: str, maxsize: int) -> None:
        if name in CACHES:
            raise ValueError(f"a cache named {name!r} exists already")
        self.name, self.maxsize = name, int(maxsize)
        self._data: OrderedDict[K, V] = OrderedDict()
        CACHES[name] = self

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __getitem__(self, key: K) -> V:
        self._data.move_to_end(key)
        return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def get(self, key: K, default: V | None = None) -> V | None:
        return self[key] if key in self._data else default

    def setdefault(self, key: K, default: V) -> V:
        if key not in self._data:
            self[key] = default
        return self[key]

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()

    def __repr__(self) -> str:
        return f"<cache {self.name}: {len(self)} of {self.maxsize}>"


#: every cache by name
CACHES: dict[str, Cache] = {}


def clear_caches() -> None:
    """Empty every narank memo of this process (the next call recomputes or rereads)."""
    for cache in CACHES.values():
        cache.clear()
