"""Checks of numbers and arrays: plain closeness, and agreement within Monte Carlo error."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from widgets.checks._check import Check, Context, resolve, takes_seed


def _number(value) -> float:
    if isinstance(value, bool) or np.ndim(value) != 0:
        raise ValueError(f"expected one number; got {type(value).__name__}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class close(Check):
    """The answer is one number equal to `value` within ``atol + rtol * |value| (+ 4.5 * mcse)``.

    Parameters
    ----------
    value : float or callable
        The expected number, or a function computing it (given ``seed=`` if it
        takes one: then grading draws it anew).
    rtol, atol : float
        Relative and absolute tolerance; 0 by default (exact).
    mcse : float, optional
        The Monte Carlo standard error of the answer, if it is an estimate:
        adds 4.5 times it to the tolerance.

    Examples
    --------
    In a notebook's test cell, ``lesson.check("l3-mean", "mean_x", close(2.5, atol=0.01))``.
    The check alone, for instant feedback:

    >>> from widgets.checks import close
    >>> check = close(2.5, atol=0.01)
    >>> check(2.504)
    Result(passed=True, reason='the value is within the tolerance', hint='')
    >>> check(2.6).passed
    False

    For the grader, as plain data, decided outside the kernel:

    >>> from widgets.grading import compare
    >>> data = check.data(2.504)
    >>> data
    {'check': 'close', 'answer': 2.504, 'reference': {'value': 2.5, 'rtol': 0.0, 'atol': 0.01, 'mcse': None}}
    >>> compare.verdict(data["check"], data["answer"], data["reference"])
    (True, 'the value is within the tolerance')
    """

    value: Any
    rtol: float = 0.0
    atol: float = 0.0
    mcse: float | None = None
    verdict = "close"

    @property
    def fresh(self) -> bool:  # noqa: D102 - see Check
        return takes_seed(self.value)

    def answer(self, value, ctx: Context) -> float:  # noqa: D102 - see Check
        return _number(value)

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"value": resolve(self.value, ctx), "rtol": self.rtol, "atol": self.atol, "mcse": self.mcse}


@dataclasses.dataclass(frozen=True)
class allclose(Check):
    """The answer is an array of the expected shape, each element as in :class:`close`.

    Parameters
    ----------
    value : array or callable
        The expected array, or a function computing it (given ``seed=`` if it takes one).
    rtol, atol : float
        Relative and absolute tolerance per element; 0 by default.
    mcse : float or array, optional
        Monte Carlo standard error of each element of the answer.

    Examples
    --------
    >>> import numpy as np
    >>> from widgets.checks import allclose
    >>> check = allclose(np.linspace(0, 1, 5), atol=1e-6)
    >>> check([0.0, 0.25, 0.5, 0.75, 1.0]).passed
    True
    >>> check([0.0, 0.25, 0.5, 0.75]).reason
    'the answer has shape (4,); expected (5,)'
    >>> check([0.0, 0.2, 0.5, 0.75, 1.0]).reason
    '1 of 5 values are further from the expected ones than allowed'

    The grader decides on the data alone:

    >>> from widgets.grading import compare
    >>> data = check.data([0.0, 0.25, 0.5, 0.75, 1.0])
    >>> compare.verdict(data["check"], data["answer"], data["reference"])
    (True, 'all 5 values are within the tolerance')
    """

    value: Any
    rtol: float = 0.0
    atol: float = 0.0
    mcse: Any = None
    verdict = "allclose"

    @property
    def fresh(self) -> bool:  # noqa: D102 - see Check
        return takes_seed(self.value)

    def answer(self, value, ctx: Context) -> np.ndarray:  # noqa: D102 - see Check
        return np.asarray(value, dtype=float)

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        value = np.asarray(resolve(self.value, ctx), dtype=float)
        return {"value": value, "rtol": self.rtol, "atol": self.atol, "mcse": self.mcse}


@dataclasses.dataclass(frozen=True)
class within_mcse(Check):
    """The answer, a Monte Carlo estimate, agrees with a reference estimate within their joint error.

    The reference gives a value and the sd of what is averaged; with
    `effective_draws` behind the answer its Monte Carlo error is
    ``sd / sqrt(effective_draws)``, and the tolerance is
    ``4.5 * sqrt(2) * sd / sqrt(effective_draws)`` (both estimates carry it).

    Parameters
    ----------
    reference_value : callable or (float, float)
        The reference, ``(value, sd)``, or a function returning it (given ``seed=`` if it
        takes one: then grading draws it anew).
    effective_draws : float
        Effective number of draws behind the answer; be conservative.

    Examples
    --------
    The mean of 1000 independent N(2, 1) draws is within ``4.5 * sqrt(2 / 1000)``, about 0.2, of 2:

    >>> from widgets.checks import within_mcse
    >>> check = within_mcse((2.0, 1.0), effective_draws=1000)
    >>> check(2.1).passed, check(2.3).passed
    (True, False)
    >>> check(2.3).reason
    'the value is further from the reference than Monte Carlo error allows'

    >>> from widgets.grading import compare
    >>> data = check.data(2.1)
    >>> data["reference"]["mcse"] == 1.0 / 1000**0.5
    True
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    True
    """

    reference_value: Any
    effective_draws: float = 1000
    verdict = "within_mcse"

    @property
    def fresh(self) -> bool:  # noqa: D102 - see Check
        return takes_seed(self.reference_value)

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"value": _number(value)}

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        value, sd = resolve(self.reference_value, ctx)
        return {"value": float(value), "mcse": float(sd) / math.sqrt(self.effective_draws)}
