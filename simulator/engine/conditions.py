"""The `when` expression language: parsed once at load, evaluated without Python's eval.

Grammar (lowest precedence first)::

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("<"|"<="|">"|">="|"=="|"!=") sum)?
    sum     := unary (("+"|"-") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | "true" | "false" | NAME | call | "(" expr ")"
    call    := "visited" "(" STRING ")" | "chose" "(" STRING "," NUMBER ")"

Every sub-expression has a type, number or yes/no, checked at parse time so that an
author learns of `trust and cohesion` when the file loads, not mid-session.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Kind = Literal["number", "flag"]
RESERVED = frozenset({"and", "or", "not", "true", "false", "turn", "visited", "chose"})


class Context(Protocol):
    """What a condition can see of a session (read only)."""

    @property
    def values(self) -> Mapping[str, int]: ...
    @property
    def flags(self) -> AbstractSet[str]: ...
    @property
    def visited(self) -> AbstractSet[str]: ...
    @property
    def chosen(self) -> AbstractSet[tuple[str, int]]: ...
    @property
    def turn(self) -> int: ...


Fn = Callable[[Context], Any]
"""A compiled sub-expression: a number (int) or a yes/no (bool), as its node's type says.

The parser builds these as small functions whose inputs are bound as default
arguments (read as fast locals when a condition is tested on every decision)."""


class ConditionError(ValueError):
    """A condition that does not parse or does not make sense; `offset` is 0-based."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition. Call `holds(ctx)`; inspect what it reads for analysis."""

    source: str
    _fn: Callable[[Context], bool] = field(repr=False, compare=False)
    names: frozenset[str] = frozenset()
    """Meters, members and flags it reads."""
    visits: frozenset[str] = frozenset()
    """States named in `visited(...)`."""
    choices: frozenset[tuple[str, int]] = frozenset()
    """(state, number) pairs named in `chose(...)`."""
    uses_turn: bool = False

    def holds(self, ctx: Context) -> bool:
        return self._fn(ctx)

    def __str__(self) -> str:
        return self.source


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<str>"[^"\n]*"|'[^'\n]*')
      | (?P<op><=|>=|==|!=|<|>|\+|-|\(|\)|,)
      | (?P<bad>&&|\|\||=|!|\S)
    )""",
    re.VERBOSE,
)

_HINTS = {
    "&&": "write 'and' instead of '&&'",
    "||": "write 'or' instead of '||'",
    "!": "write 'not' instead of '!'",
    "=": "to compare, write '==' (two equals signs)",
}


class _Tok:
    """A token: its kind (a group of `_TOKEN`, or "end"), its text and its offset.

    A plain slotted class rather than a dataclass: it needs no generated methods, and
    building a dataclass costs about half a millisecond when the module is imported.
    """

    __slots__ = ("at", "kind", "text")

    def __init__(self, kind: str, text: str, at: int) -> None:
        self.kind = kind
        self.text = text
        self.at = at


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None or m.end() == pos:  # only trailing white space is left
            break
        kind = m.lastgroup or "bad"
        text = m.group(kind)
        at = m.start(kind)
        if kind == "bad":
            hint = _HINTS.get(text, f"'{text}' is not part of the condition language")
            raise ConditionError(hint, at)
        toks.append(_Tok(kind, text, at))
        pos = m.end()
    toks.append(_Tok("end", "", len(src)))
    return toks


class _Node:
    """A parsed sub-expression: its type, the function computing it, where it starts."""

    __slots__ = ("at", "fn", "type")

    def __init__(self, type: Literal["number", "bool"], fn: Fn, at: int) -> None:
        self.type = type
        self.fn = fn
        self.at = at


class _Parser:
    def __init__(
        self,
        src: str,
        names: dict[str, Kind],
        states: set[str] | None,
        choice_counts: dict[str, int] | None,
    ) -> None:
        self.src = src
        self.toks = _tokenize(src)
        self.i = 0
        self.names = names
        self.states = states
        self.choice_counts = choice_counts
        self.used: set[str] = set()
        self.visits: set[str] = set()
        self.choices: set[tuple[str, int]] = set()
        self.uses_turn = False

    # -- helpers ---------------------------------------------------------------
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str, what: str) -> _Tok:
        if self.tok.text != text or self.tok.kind == "str":
            found = f"'{self.tok.text}'" if self.tok.kind != "end" else "the end"
            raise ConditionError(f"expected {what}, found {found}", self.tok.at)
        return self.take()

    def need(self, node: _Node, type_: str, role: str) -> None:
        if node.type == type_:
            return
        if type_ == "bool":
            raise ConditionError(
                f"{role} must be yes/no, but this is a number; compare it, e.g. '{self.src[node.at :].split()[0]} >= 50'",
                node.at,
            )
        raise ConditionError(f"{role} must be a number, but this is yes/no", node.at)

    # -- grammar ---------------------------------------------------------------
    def parse(self, type_: str = "bool", role: str = "a condition") -> _Node:
        if self.tok.kind == "end":
            raise ConditionError("the condition is empty" if type_ == "bool" else "the expression is empty", 0)
        node = self.or_()
        if self.tok.kind != "end":
            raise ConditionError(f"unexpected '{self.tok.text}'; is an 'and' or 'or' missing?", self.tok.at)
        self.need(node, type_, role)
        return node

    def or_(self) -> _Node:
        left = self.and_()
        while self.tok.kind == "name" and self.tok.text == "or":
            self.take()
            right = self.and_()
            self.need(left, "bool", "each side of 'or'")
            self.need(right, "bool", "each side of 'or'")

            def either(c: Context, lf: Fn = left.fn, rf: Fn = right.fn) -> bool:
                return bool(lf(c)) or bool(rf(c))

            left = _Node("bool", either, left.at)
        return left

    def and_(self) -> _Node:
        left = self.not_()
        while self.tok.kind == "name" and self.tok.text == "and":
            self.take()
            right = self.not_()
            self.need(left, "bool", "each side of 'and'")
            self.need(right, "bool", "each side of 'and'")

            def both(c: Context, lf: Fn = left.fn, rf: Fn = right.fn) -> bool:
                return bool(lf(c)) and bool(rf(c))

            left = _Node("bool", both, left.at)
        return left

    def not_(self) -> _Node:
        if self.tok.kind == "name" and self.tok.text == "not":
            at = self.take().at
            inner = self.not_()
            self.need(inner, "bool", "what follows 'not'")

            def negated(c: Context, f: Fn = inner.fn) -> bool:
                return not f(c)

            return _Node("bool", negated, at)
        return self.compare()

    _CMP: dict[str, Callable[[Any, Any], bool]] = {
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
        "==": operator.eq,
        "!=": operator.ne,
    }

    def compare(self) -> _Node:
        left = self.sum_()
        if self.tok.kind == "op" and self.tok.text in self._CMP:
            op_tok = self.take()
            right = self.sum_()
            if op_tok.text in ("==", "!="):
                if left.type != right.type:
                    raise ConditionError("both sides of a comparison must be numbers, or both yes/no", op_tok.at)
            else:
                self.need(left, "number", f"the left side of '{op_tok.text}'")
                self.need(right, "number", f"the right side of '{op_tok.text}'")
            if self.tok.kind == "op" and self.tok.text in self._CMP:
                raise ConditionError(
                    "comparisons cannot be chained; join them with 'and' (e.g. 'a < b and b < c')", self.tok.at
                )

            def compared(
                c: Context,
                cmp: Callable[[Any, Any], bool] = self._CMP[op_tok.text],
                lf: Fn = left.fn,
                rf: Fn = right.fn,
            ) -> bool:
                return cmp(lf(c), rf(c))

            return _Node("bool", compared, left.at)
        return left

    def sum_(self) -> _Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in "+-" and self.tok.text:
            op = self.take()
            right = self.unary()
            self.need(left, "number", f"each side of '{op.text}'")
            self.need(right, "number", f"each side of '{op.text}'")

            def added(c: Context, lf: Fn = left.fn, rf: Fn = right.fn) -> int:
                return int(lf(c) + rf(c))

            def subtracted(c: Context, lf: Fn = left.fn, rf: Fn = right.fn) -> int:
                return int(lf(c) - rf(c))

            left = _Node("number", added if op.text == "+" else subtracted, left.at)
        return left

    def unary(self) -> _Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            at = self.take().at
            inner = self.unary()
            self.need(inner, "number", "what follows '-'")

            def minus(c: Context, f: Fn = inner.fn) -> int:
                return -int(f(c))

            return _Node("number", minus, at)
        return self.atom()

    def atom(self) -> _Node:
        tok = self.tok
        if tok.kind == "num":
            self.take()

            def number(c: Context, n: int = int(tok.text)) -> int:
                return n

            return _Node("number", number, tok.at)
        if tok.kind == "op" and tok.text == "(":
            self.take()
            node = self.or_()
            self.expect(")", "')'")
            return node
        if tok.kind == "str":
            raise ConditionError("text in quotes is only allowed inside visited(...) and chose(...)", tok.at)
        if tok.kind == "name":
            self.take()
            word = tok.text
            if word in ("true", "false"):

                def constant(c: Context, b: bool = word == "true") -> bool:
                    return b

                return _Node("bool", constant, tok.at)
            if word in ("and", "or", "not"):
                raise ConditionError(f"'{word}' needs something before it", tok.at)
            if word == "turn":
                self.uses_turn = True

                def turn(c: Context) -> int:
                    return c.turn

                return _Node("number", turn, tok.at)
            if word == "visited":
                return self.call_visited(tok)
            if word == "chose":
                return self.call_chose(tok)
            if self.tok.kind == "op" and self.tok.text == "(":
                raise ConditionError(
                    f"'{word}(...)' is not allowed; the only calls are visited(...) and chose(...)", tok.at
                )
            return self.name(tok)
        found = f"'{tok.text}'" if tok.kind != "end" else "the end"
        raise ConditionError(f"expected a value, found {found}", tok.at)

    def name(self, tok: _Tok) -> _Node:
        word = tok.text
        kind = self.names.get(word)
        if kind is None:
            pool = list(self.names) + ["turn"]
            close = difflib.get_close_matches(word, pool, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else self._known_hint()
            raise ConditionError(f"unknown name '{word}'{hint}", tok.at)
        self.used.add(word)

        def flag(c: Context, w: str = word) -> bool:
            return w in c.flags

        def value(c: Context, w: str = word) -> int:
            return c.values[w]

        return _Node("bool", flag, tok.at) if kind == "flag" else _Node("number", value, tok.at)

    def _known_hint(self) -> str:
        known = sorted(self.names)
        if not known:
            return ""
        shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        return f" (known names: {shown})"

    def state_arg(self) -> str:
        tok = self.tok
        if tok.kind != "str":
            raise ConditionError('expected a state id in quotes, e.g. visited("group-reacts")', tok.at)
        self.take()
        sid = tok.text[1:-1]
        if self.states is not None and sid not in self.states:
            close = difflib.get_close_matches(sid, list(self.states), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ConditionError(f"unknown state '{sid}'{hint}", tok.at + 1)
        return sid

    def call_visited(self, tok: _Tok) -> _Node:
        self.expect("(", "'(' after visited")
        sid = self.state_arg()
        self.expect(")", "')'")
        self.visits.add(sid)

        def was_visited(c: Context, s: str = sid) -> bool:
            return s in c.visited

        return _Node("bool", was_visited, tok.at)

    def call_chose(self, tok: _Tok) -> _Node:
        self.expect("(", "'(' after chose")
        sid = self.state_arg()
        self.expect(",", "',' and a choice number, e.g. chose(\"start\", 2)")
        ntok = self.tok
        if ntok.kind != "num":
            raise ConditionError("expected a choice number (1 for the first choice)", ntok.at)
        self.take()
        n = int(ntok.text)
        if self.choice_counts is not None and sid in self.choice_counts:
            count = self.choice_counts[sid]
            if count == 0:
                raise ConditionError(f"state '{sid}' offers no choices", ntok.at)
            if not 1 <= n <= count:
                raise ConditionError(f"state '{sid}' has choices 1 to {count}; there is no choice {n}", ntok.at)
        self.expect(")", "')'")
        self.choices.add((sid, n))

        def was_chosen(c: Context, key: tuple[str, int] = (sid, n)) -> bool:
            return key in c.chosen

        return _Node("bool", was_chosen, tok.at)


def parse(
    src: str,
    names: dict[str, Kind],
    states: set[str] | None = None,
    choice_counts: dict[str, int] | None = None,
) -> Condition:
    """Parse `src` into a `Condition`.

    Args:
        src: the expression as the author wrote it.
        names: every meter and member (``"number"``) and flag (``"flag"``).
        states: the state ids `visited`/`chose` may name; None skips the check.
        choice_counts: number of choices per state, to check `chose` numbers.

    Raises:
        ConditionError: with a message for the author and a 0-based offset.
    """
    if not isinstance(src, str):
        raise ConditionError("a condition must be text", 0)
    p = _Parser(src, names, states, choice_counts)
    node = p.parse()

    def holds(c: Context, fn: Fn = node.fn) -> bool:
        return bool(fn(c))

    return Condition(
        source=src,
        _fn=holds,
        names=frozenset(p.used),
        visits=frozenset(p.visits),
        choices=frozenset(p.choices),
        uses_turn=p.uses_turn,
    )


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed number expression, such as a score `trust + cohesion`. Call `value(ctx)`."""

    source: str
    _fn: Callable[[Context], int] = field(repr=False, compare=False)
    names: frozenset[str] = frozenset()
    """Meters and members it reads."""
    uses_turn: bool = False

    def value(self, ctx: Context) -> int:
        return self._fn(ctx)

    def __str__(self) -> str:
        return self.source


def parse_number(src: str, names: dict[str, Kind]) -> Expression:
    """Parse `src`, an expression in the condition language whose value is a number:
    meters, members, `turn`, whole numbers, `+`, `-` and parentheses (``trust + cohesion``).

    Args:
        src: the expression as written.
        names: every meter and member (``"number"``) and flag (``"flag"``).

    Raises:
        ConditionError: with a message and a 0-based offset.
    """
    if not isinstance(src, str):
        raise ConditionError("an expression must be text", 0)
    p = _Parser(src, names, None, None)
    node = p.parse("number", "the expression")
    fn = node.fn
    return Expression(source=src, _fn=fn, names=frozenset(p.used), uses_turn=p.uses_turn)
