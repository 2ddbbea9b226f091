"""Checks of model comparison answers: a panel's data with one point moved to a high Pareto k."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from widgets.checks._check import Check, Context

MODELS = ("normal", "student_t")
"""The models whose Pareto k a check may read, by the panel's names."""


@dataclasses.dataclass(frozen=True)
class moved_to_high_k(Check):
    """The answer, a ``RobustRegressionPanel``, holds the given data with one point moved to a high Pareto k.

    The answer is the panel rebuilt from its copied code line (which re-fits
    both models). It must hold the points `x`, `y` with exactly one of them
    moved (x or y changed), and that point must be among the panel's points
    whose Pareto k, in the LOO of `model`, is above ArviZ's ``good_k``: the
    answer data is 1 if it is, 0 if not (verdict ``close`` to 1). A panel
    with another number of points, with none or several moved, or showing a
    message, is refused with a reason saying so.

    Parameters
    ----------
    x, y : array_like
        The data the panel started from, of one length.
    model : {"normal", "student_t"}
        Whose Pareto k counts.

    Raises
    ------
    ValueError
        If `x` and `y` differ in length or `model` is not one of the two.

    Examples
    --------
    In lesson 3's test cell, ``lesson.check("l3-panel", "my_panel", moved_to_high_k(x_clean, y_clean))``.
    The check reads the panel's ``x``, ``y``, ``high_k`` and ``message``; here a
    stand-in for a panel whose point 2 was dragged up and is flagged:

    >>> from types import SimpleNamespace
    >>> from widgets.checks.loo import moved_to_high_k
    >>> check = moved_to_high_k([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    >>> panel = SimpleNamespace(x=[0.0, 1.0, 2.0], y=[0.0, 1.0, 9.0], message="",
    ...                         high_k={"normal": (2,), "student_t": ()})
    >>> check(panel).passed
    True
    >>> check(SimpleNamespace(**{**vars(panel), "high_k": {"normal": ()}})).hint
    'The point you moved is not above good_k: drag it further from the line, until it turns vermillion.'
    >>> check(SimpleNamespace(**{**vars(panel), "y": [0.0, 1.0, 2.0]})).reason
    'your answer raised ValueError: no point has moved: ...'

    For the grader, plain data, decided outside the kernel:

    >>> from widgets.grading import compare
    >>> data = check.data(panel)
    >>> compare.verdict(data["check"], data["answer"], data["reference"])
    (True, 'the value is within the tolerance')
    """

    x: Any
    y: Any
    model: str = "normal"
    verdict = "close"

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}; got {self.model!r}")
        x, y = np.asarray(self.x, np.float32), np.asarray(self.y, np.float32)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(
                f"x and y must be 1-d and of the same length; got shapes {x.shape} and {y.shape}"
            )

    def answer(self, value, ctx: Context) -> float:  # noqa: D102 - see Check
        if not all(hasattr(value, name) for name in ("x", "y", "high_k", "message")):
            raise ValueError(
                "the answer must be RobustRegressionPanel(...), copied from the panel's code line"
            )
        if value.message:
            raise ValueError(f"the panel says: {value.message}")
        x, y = np.asarray(value.x, np.float32), np.asarray(value.y, np.float32)
        start_x, start_y = np.asarray(self.x, np.float32), np.asarray(self.y, np.float32)
        if x.shape != start_x.shape or y.shape != start_y.shape:
            raise ValueError(
                f"the panel holds {x.size} points; move one of the {start_x.size}, add or remove none"
            )
        moved = np.flatnonzero((x != start_x) | (y != start_y))
        if moved.size == 0:
            raise ValueError(
                "no point has moved: the panel holds the data it started from; drag one point, "
                "then copy the code line"
            )
        if moved.size > 1:
            raise ValueError(f"{moved.size} points moved (indices {moved.tolist()}); move exactly one")
        return 1.0 if int(moved[0]) in value.high_k[self.model] else 0.0

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"value": 1.0, "rtol": 0.0, "atol": 0.0, "mcse": None}

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        return [
            (
                "further from the expected",
                "The point you moved is not above good_k: drag it further from the line, "
                "until it turns vermillion.",
            ),
        ]
