"""Read an EZNAS formula without running it: names, parentheses and commas only, typed against the
primitive set.

DEAP's `PrimitiveTree.from_string` hands unknown tokens to Python's expression evaluator, so a
program file read with it could run any code (narank no longer calls it anywhere). This reader
knows only the primitive set's names (primitives, the 22 tensor leaves and `one`); anything else is
refused with the offending token named. A parsed formula becomes a DEAP tree (for the evolution) and
a tree of plain function calls (for scoring): nothing is ever evaluated as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from narank.errors import NarankError

MAX_CHARS = 20_000
MAX_DEPTH = 60
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([(),]))")


class FormulaError(NarankError):
    """Text that is not a well-typed EZNAS formula."""


def tokens(text: str) -> list[str]:
    """The formula's tokens; a FormulaError naming the first character that is none of them."""
    if len(text) > MAX_CHARS:
        raise FormulaError(f"an EZNAS formula has at most {MAX_CHARS} characters, got {len(text)}")
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = re.match(r"\s*(\S+?)(?=[\s(),]|$)", text[pos:])
            token = bad.group(1) if bad else text[pos:].strip()
            raise FormulaError(f"unexpected token {token!r} in EZNAS formula at character {pos + 1}: "
                               "a formula holds primitive names, parentheses and commas only")
        out.append(match.group(1) or match.group(2))
        pos = match.end()
    if not out:
        raise FormulaError("an EZNAS formula cannot be empty")
    return out


def parse_prefix(text: str, pset: Any) -> list[Any]:
    """The formula's DEAP nodes (primitives and terminals) in prefix order, type-checked: a float at
    the root and every argument of the type its primitive expects."""
    toks = tokens(text)
    out: list[Any] = []
    pos = 0

    def node(expected: type, depth: int) -> None:
        nonlocal pos
        if depth > MAX_DEPTH:
            raise FormulaError(f"EZNAS formula nested deeper than {MAX_DEPTH} levels")
        if pos >= len(toks):
            raise FormulaError("EZNAS formula ends too early: a primitive lacks arguments")
        name = toks[pos]
        item = pset.mapping.get(name)
        if item is None:
            raise FormulaError(f"unknown name {name!r} in EZNAS formula (not a primitive or tensor of the "
                               "primitive set; see `narank.eznas.primitives`)")
        if item.ret is not expected:
            raise FormulaError(f"{name!r} gives {item.ret.__name__}, but {expected.__name__} is needed there")
        pos += 1
        out.append(item)
        arity = getattr(item, "arity", 0)
        if arity == 0:
            return
        expect(("(",), name)
        for i, arg_type in enumerate(item.args):
            if i:
                expect((",",), name)
            node(arg_type, depth + 1)
        expect((")",), name)

    def expect(allowed: tuple[str, ...], name: str) -> None:
        nonlocal pos
        if pos >= len(toks) or toks[pos] not in allowed:
            got = toks[pos] if pos < len(toks) else "the end"
            raise FormulaError(
                f"EZNAS formula: expected {allowed[0]!r} in the arguments of {name!r}, got {got!r}"
            )
        pos += 1

    node(float, 0)
    if pos != len(toks):
        raise FormulaError(f"unexpected token {toks[pos]!r} after the end of the EZNAS formula")
    return out


Evaluator = Callable[[Mapping[str, Any]], Any]


def compile_prefix(nodes: list[Any], functions: Mapping[str, Any]) -> Evaluator:
    """A function block -> value that calls the primitives of a parsed formula directly."""
    pos = 0

    def build() -> Evaluator:
        nonlocal pos
        item = nodes[pos]
        pos += 1
        arity = getattr(item, "arity", 0)
        if arity == 0:
            name = item.format()  # as spelled in the formula (argument terminals keep ARGn as .name)
            if name in functions:  # a constant terminal such as `one`
                value = functions[name]
                return lambda block: value
            return lambda block: block[name]
        fn = functions[item.name]
        args = [build() for _ in range(arity)]
        if arity == 1:
            (a,) = args
            return lambda block: fn(a(block))
        if arity == 2:
            a, b = args
            return lambda block: fn(a(block), b(block))
        return lambda block: fn(*(arg(block) for arg in args))

    return build()
