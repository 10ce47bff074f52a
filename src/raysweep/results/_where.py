"""Selection under constraints: a small, safe expression language over the stored trial columns.

``filter_trials(trials, "last.epoch_seconds < 2 and config.dim <= 32")`` keeps the trials for which
the expression holds. Names are stored column names: ``config.<path>`` (the config), ``last.<metric>``
(a metric's final value), the trial columns (``metric_best``, ``metric_last``, ``iterations``,
``trial_seconds``, ``status``, ``run``, ...) and ``best.<metric>`` for the sweep metric's best value
(``metric_best``). A name with other characters is quoted in backticks: ```last.loss/val` < 1``.

The expression is parsed with :mod:`ast` and evaluated by walking a whitelist of nodes (comparisons,
``and``/``or``/``not``, arithmetic, numbers, strings, ``True``/``False``/``None``, lists for
``in``): user text is never passed to ``eval``. A missing value compares false.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["Condition", "filter_trials", "frame_of", "parse_condition", "where_columns"]

_EXPECTED = ("a condition over stored columns such as "
             "\"last.epoch_seconds < 2 and config.dim <= 32\"")
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_QUOTED = re.compile(r"`([^`]*)`")


def where_columns(trials: pd.DataFrame) -> dict[str, str]:
    """Every name an expression may use -> the column of ``trials`` it reads."""
    names = {str(c): str(c) for c in trials.columns}
    if "metric" in trials and "metric_best" in trials:
        for metric in trials["metric"].dropna().unique():
            names.setdefault(f"best.{metric}", "metric_best")
    return names


_EXPECTED_CONSTRAINT = ("a condition over reported metrics and config.<key> such as "
                        "\"latency_ms <= 5 and config.dim <= 64\"")


def _error(owner: str, got: Any, fix: str, param: str = "where") -> ConfigError:
    expected = _EXPECTED_CONSTRAINT if param.startswith("constraints") else _EXPECTED
    return ConfigError(invalid_parameter(param, owner, expected, got, fix))


class _Evaluator:
    def __init__(self, trials: pd.DataFrame, quoted: dict[str, str], text: str, parsed: str,
                 owner: str, param: str = "where"):
        self.trials, self.quoted, self.text, self.owner = trials, quoted, text, owner
        self.parsed = parsed  # the text ast parsed (backtick names replaced by placeholders)
        self.param = param
        self.names = where_columns(trials)

    def column(self, name: str) -> pd.Series:
        column = self.names.get(name)
        if column is None:
            close = difflib.get_close_matches(name, list(self.names), n=3, cutoff=0.6)
            hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise ConfigError(invalid_parameter(
                self.param, self.owner, "an expression over the stored columns", self.text,
                f"{name!r} is not a stored column. {hint}Names: config.<path>, last.<metric>, "
                "best.<sweep metric>, and the trial columns (metric_best, iterations, "
                "trial_seconds, status, ...); quote other names in backticks."))
        return self.trials[column]

    def error(self, fix: str) -> ConfigError:
        return _error(self.owner, self.text, fix, self.param)

    def dotted(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.quoted.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def reject(self, node: ast.AST) -> ConfigError:
        part = ast.get_source_segment(self.parsed, node) or type(node).__name__
        return self.error(f"{part!r} is not allowed: use comparisons, "
                      "and/or/not, arithmetic, numbers, strings and column names.")

    def eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return self.eval(node.body)
        if isinstance(node, ast.Name | ast.Attribute):
            name = self.dotted(node)
            if name is None:
                raise self.reject(node)
            return self.column(name)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
            return node.value
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, ast.List | ast.Tuple):
            return [self.constant(e) for e in node.elts]
        if isinstance(node, ast.BoolOp):
            values = [self.truth(v) for v in node.values]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                truth = self.truth(node.operand)
                return ~truth if isinstance(truth, pd.Series) else not truth
            if isinstance(node.op, ast.USub):
                return -self.eval(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.eval(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return _ARITH[type(node.op)](self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise self.reject(node)

    def constant(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool | None):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.constant(node.operand)
            if isinstance(value, int | float):
                return -value if isinstance(node.op, ast.USub) else value
        raise self.reject(node)

    def compare(self, node: ast.Compare) -> Any:
        out: Any = True
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, list) or not isinstance(left, pd.Series):
                    raise self.error(
                                 "'in' takes a column on the left and a list on the right, "
                                 "e.g. config.opt in ['adam', 'sgd'].")
                result = left.isin(right)
                result = ~result if isinstance(op, ast.NotIn) else result
            elif type(op) in _COMPARE:
                result = self.apply(_COMPARE[type(op)], left, right)
            else:
                raise self.reject(node)
            out = result if out is True else out & result
            left = right
        return out

    def apply(self, op: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
        try:
            result = op(left, right)
        except TypeError as exc:
            raise self.error(
                         f"A comparison mixes types that do not compare ({exc}).") from None
        if isinstance(result, pd.Series):  # a missing value never satisfies a comparison
            missing = (left.isna() if isinstance(left, pd.Series) else False) | \
                (right.isna() if isinstance(right, pd.Series) else False)
            return result.astype(bool) & ~missing
        return result

    def truth(self, node: ast.AST) -> Any:
        value = self.eval(node)
        if isinstance(value, pd.Series):
            if not pd.api.types.is_bool_dtype(value):
                raise self.error(
                             "Each side of and/or/not must be a condition (e.g. x < 2), not a value.")
            return value.fillna(False).astype(bool)
        return bool(value)


@dataclass(frozen=True)
class Condition:
    """A parsed condition of the whitelisted language: :func:`filter_trials`'s ``where`` and a
    sweep's ``constraints`` (:func:`parse_condition`). Evaluated over a frame whose columns are the
    names it uses."""

    text: str
    parsed: str
    tree: ast.Expression
    quoted: dict[str, str] = field(default_factory=dict)
    owner: str = "filter_trials"
    param: str = "where"

    def _evaluator(self, frame: pd.DataFrame) -> _Evaluator:
        return _Evaluator(frame, self.quoted, self.text, self.parsed, self.owner, self.param)

    def names(self) -> list[str]:
        """The column names the condition reads, in order of appearance (each once)."""
        evaluator = self._evaluator(pd.DataFrame())
        out: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name | ast.Attribute):
                name = evaluator.dotted(node)
                parent_done = any(o.startswith(f"{name}.") for o in out) if name else True
                if name is not None and name not in out and not parent_done:
                    out.append(name)
        return out

    def check(self) -> None:
        """Raise ``ConfigError`` for what no data can make right: a construct outside the
        whitelist, or an expression that is not a condition (evaluated over no rows)."""
        self.mask(pd.DataFrame({name: pd.Series(dtype=object) for name in self.names()}))

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Whether the condition holds on each row of ``frame`` (a missing value: it does not)."""
        mask = self._evaluator(frame).eval(self.tree)
        if isinstance(mask, pd.Series):
            if not pd.api.types.is_bool_dtype(mask):
                raise _error(self.owner, self.text, "It must be a condition (e.g. x < 2), not a value.",
                             self.param)
            return mask.fillna(False).astype(bool)
        if isinstance(mask, bool):
            return pd.Series(mask, index=frame.index, dtype=bool)
        raise _error(self.owner, self.text, "It must be a condition (e.g. x < 2), not a value.",
                     self.param)

    def violation(self, frame: pd.DataFrame) -> pd.Series:
        """By how much each row misses the condition, Optuna's convention for a constraint: <= 0
        where it holds, > 0 where it does not. A single inequality (``a <= 5``, ``a - b > 1``) gives
        the distance between its sides, so a searcher can tell a near miss from a far one; any other
        condition gives 0 where it holds and 1 where it does not (a missing value: 1)."""
        holds = self.mask(frame)
        crisp = pd.Series(0.0, index=frame.index).where(holds, 1.0)
        body = self.tree.body
        if not (isinstance(body, ast.Compare) and len(body.ops) == 1
                and isinstance(body.ops[0], ast.Lt | ast.LtE | ast.Gt | ast.GtE)):
            return crisp
        evaluator = self._evaluator(frame)
        try:
            left, right = evaluator.eval(body.left), evaluator.eval(body.comparators[0])
            gap = (left - right) if isinstance(body.ops[0], ast.Lt | ast.LtE) else (right - left)
            gap = pd.to_numeric(pd.Series(gap, index=frame.index), errors="coerce").astype(float)
        except (TypeError, ValueError):
            return crisp
        gap = gap.where(gap.map(math.isfinite), 1.0)
        return gap.clip(upper=0.0).where(holds, gap.clip(lower=1e-12))


def parse_condition(where: str, owner: str = "filter_trials", param: str = "where") -> Condition:
    """``where`` parsed into a :class:`Condition` (its text is never evaluated by Python).

    Raises ``ConfigError``, naming ``param`` of ``owner``, for an empty text or a syntax error.
    """
    if not isinstance(where, str) or not where.strip():
        raise _error(owner, where, "Pass a non-empty expression.", param)
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = f"__col{len(quoted)}__"
        quoted[key] = match.group(1)
        return key

    text = _QUOTED.sub(placeholder, where.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise _error(owner, where, f"It is not a valid expression ({exc.msg}).", param) from None
    return Condition(where, text, tree, quoted, owner, param)


def filter_trials(trials: pd.DataFrame, where: str, owner: str = "filter_trials") -> pd.DataFrame:
    """The rows of ``trials`` for which the expression ``where`` holds (see the module doc).

    Raises ``ConfigError`` (bad input) for a syntax error, a construct outside the whitelist, an
    unknown column (with a did-you-mean suggestion) or an expression that is not a condition.
    """
    return trials[parse_condition(where, owner).mask(trials)]


def frame_of(rows: Iterable[dict[str, Any]], names: Iterable[str]) -> pd.DataFrame:
    """A frame of ``rows`` with a column for each of ``names`` (missing values as None)."""
    frame = pd.DataFrame(list(rows))
    for name in names:
        if name not in frame:
            frame[name] = None
    return frame
