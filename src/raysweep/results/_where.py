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
import operator
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["filter_trials", "where_columns"]

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


def _error(owner: str, got: Any, fix: str) -> ConfigError:
    return ConfigError(invalid_parameter("where", owner, _EXPECTED, got, fix))


class _Evaluator:
    def __init__(self, trials: pd.DataFrame, quoted: dict[str, str], text: str, parsed: str,
                 owner: str):
        self.trials, self.quoted, self.text, self.owner = trials, quoted, text, owner
        self.parsed = parsed  # the text ast parsed (backtick names replaced by placeholders)
        self.names = where_columns(trials)

    def column(self, name: str) -> pd.Series:
        column = self.names.get(name)
        if column is None:
            close = difflib.get_close_matches(name, list(self.names), n=3, cutoff=0.6)
            hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise ConfigError(invalid_parameter(
                "where", self.owner, "an expression over the stored columns", self.text,
                f"{name!r} is not a stored column. {hint}Names: config.<path>, last.<metric>, "
                "best.<sweep metric>, and the trial columns (metric_best, iterations, "
                "trial_seconds, status, ...); quote other names in backticks."))
        return self.trials[column]

    def dotted(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.quoted.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def reject(self, node: ast.AST) -> ConfigError:
        part = ast.get_source_segment(self.parsed, node) or type(node).__name__
        return _error(self.owner, self.text, f"{part!r} is not allowed: use comparisons, "
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
                    raise _error(self.owner, self.text,
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
            raise _error(self.owner, self.text,
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
                raise _error(self.owner, self.text,
                             "Each side of and/or/not must be a condition (e.g. x < 2), not a value.")
            return value.fillna(False).astype(bool)
        return bool(value)


def filter_trials(trials: pd.DataFrame, where: str, owner: str = "filter_trials") -> pd.DataFrame:
    """The rows of ``trials`` for which the expression ``where`` holds (see the module doc).

    Raises ``ConfigError`` (bad input) for a syntax error, a construct outside the whitelist, an
    unknown column (with a did-you-mean suggestion) or an expression that is not a condition.
    """
    if not isinstance(where, str) or not where.strip():
        raise _error(owner, where, "Pass a non-empty expression.")
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = f"__col{len(quoted)}__"
        quoted[key] = match.group(1)
        return key

    text = _QUOTED.sub(placeholder, where.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise _error(owner, where, f"It is not a valid expression ({exc.msg}).") from None
    mask = _Evaluator(trials, quoted, where, text, owner).eval(tree)
    if isinstance(mask, pd.Series):
        if not pd.api.types.is_bool_dtype(mask):
            raise _error(owner, where, "It must be a condition (e.g. x < 2), not a value.")
        return trials[mask.fillna(False).astype(bool)]
    if isinstance(mask, bool):
        return trials if mask else trials.head(0)
    raise _error(owner, where, "It must be a condition (e.g. x < 2), not a value.")
