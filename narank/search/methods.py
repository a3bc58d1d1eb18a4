"""The search-method registry: a method is `fn(otable, budget, seed, cfg, settings) -> SearchRun`
registered with `@search_method(name, color=..., zero_shot=...)`; `narank search`, the harness and
the benchmarks list and plot what is registered. Another package adds one through the entry-point
group "narank.search_methods"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from narank.registry import Registry

#: what a search method is: (oracle table, lookups, seed, base SearchConfig or None, settings) -> run
MethodFn = Callable[..., Any]

SEARCH_METHODS: Registry[MethodFn] = Registry("search method", "narank.search_methods",
                                              ("narank.search.harness",))


def search_method(name: str, color: str = "k", zero_shot: bool = False, default: int = 0,
                  label: str | None = None) -> Callable[[MethodFn], MethodFn]:
    """Decorator: register a search method with its plot colour; `zero_shot` methods spend no
    lookups; `default` > 0 ones run (in that order) when the user names none."""
    def add(fn: MethodFn) -> MethodFn:
        SEARCH_METHODS.register(name, fn, color=color, zero_shot=zero_shot, default=default,
                                label=label or name)
        return fn

    return add


def method_names(zero_shot: bool | None = None) -> tuple[str, ...]:
    return tuple(e.name for e in SEARCH_METHODS if zero_shot is None or e.info["zero_shot"] == zero_shot)


def colors() -> dict[str, str]:
    return {e.name: e.info["color"] for e in SEARCH_METHODS}
