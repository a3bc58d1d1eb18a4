"""Named plug-ins: spaces, proxies and search methods register with a decorator, here or in another
package (through a Python entry point), and every caller looks them up by name in one place.

    @SEARCH_METHODS.register("my-method", color="C9")
    def my_method(otable, budget, seed, **settings): ...

An external package adds to a registry without editing narank: in its pyproject.toml,

    [project.entry-points."narank.spaces"]
    my-space = "my_package.my_space"

and the module registers itself on import (a module-level decorator call), or the entry point
names an object that is registered under the entry point's name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from narank.errors import NarankError

T = TypeVar("T")


class UnknownNameError(NarankError, KeyError):
    """A name no registry entry answers to; the message lists the choices."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass
class Entry(Generic[T]):
    """One registered object and what callers show with it (label, colour, help text...)."""

    name: str
    obj: T
    info: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """name -> object, filled by `register` from narank's modules (`builtin`, imported on first use)
    and from the entry points of installed packages (`group`)."""

    def __init__(self, kind: str, group: str, builtin: tuple[str, ...] = (),
                 adapt: Callable[[str, Any], T] | None = None) -> None:
        self.kind, self.group, self.builtin = kind, group, builtin
        self._adapt = adapt
        self._entries: dict[str, Entry[T]] = {}
        self._loaded = False

    def register(self, name: str | None = None, obj: Any = None, **info: Any) -> Any:
        """Register `obj` under `name`; without `obj`, a decorator that registers what it decorates."""
        def add(target: Any) -> Any:
            key = name or getattr(target, "name", None) or getattr(target, "__name__", None)
            if not key:
                raise NarankError(f"a {self.kind} needs a name to be registered")
            value = self._adapt(key, target) if self._adapt else target
            self._entries[str(key)] = Entry(str(key), value, dict(info))
            return target

        return add if obj is None else add(obj)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in self.builtin:
            import_module(module)
        for ep in entry_points(group=self.group):
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken plug-in must not take narank down with it
                print(f"narank: warning: {self.kind} plug-in {ep.name!r} ({ep.value}) failed to load: "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            if ep.name not in self._entries and not hasattr(loaded, "__file__"):
                self.register(ep.name, loaded)

    def entry(self, name: str) -> Entry[T]:
        self._load()
        if name not in self._entries:
            raise UnknownNameError(f"unknown {self.kind} {name!r}: use one of {', '.join(self._entries)}")
        return self._entries[name]

    def get(self, name: str) -> T:
        return self.entry(name).obj

    def names(self) -> list[str]:
        self._load()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        self._load()
        return iter(list(self._entries.values()))
