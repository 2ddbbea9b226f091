"""Checks of model comparison answers: a panel's data with one point moved to a high Pareto k."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from widgets.checks._check import Check, Context


@dataclasses.dataclass(frozen=True)
class moved_to_high_k(Check):
    """The answer, a ``RobustRegressionPanel``, holds the given data with one point moved to a high Pareto k.

    The answer is the panel rebuilt from its copied code line (which re-fits
    both models). It must hold the points `x`, `y` with exactly one of them
    moved (x or y changed), and that point must be among the panel's points
    whose Pareto k, in the LOO of `model`, is above ArviZ's ``good_k``.

    Parameters
    ----------
    x, y : array_like
        The data the panel started from.
    model : {"normal", "student_t"}
        Whose Pareto k counts.
    """

    x: Any
    y: Any
    model: str = "normal"
    verdict = "allclose"

    def answer(self, value, ctx: Context) -> list[int]:  # noqa: D102 - see Check
        if not all(hasattr(value, name) for name in ("x", "y", "high_k", "message")):
            raise ValueError(
                "the answer must be RobustRegressionPanel(...), copied from the panel's code line"
            )
        if value.message:
            raise ValueError(f"the panel says: {value.message}")
        x, y = np.asarray(value.x, np.float32), np.asarray(value.y, np.float32)
        start_x, start_y = np.asarray(self.x, np.float32), np.asarray(self.y, np.float32)
        if x.shape != start_x.shape:
            raise ValueError(
                f"the panel holds {x.size} points; move one of the {start_x.size}, add or remove none"
            )
        moved = np.flatnonzero((x != start_x) | (y != start_y))
        flagged = [int(i) for i in moved if int(i) in value.high_k[self.model]]
        return [int(moved.size), len(flagged)]

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"value": [1, 1], "atol": 0.0}

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        return [("values are further", "Move exactly one point, far enough that it turns vermillion.")]
