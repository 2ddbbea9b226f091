"""Stand-ins: what a check puts in place of an unanswered answer that later cells need.

A stand-in lets the rest of a lesson run and show its panels while an answer
is open (a model, a data set). It is deliberately not the answer: it comes from
other parameters, earns no points, and reads as unanswered to the grader. Each
says what it is, in words, for the feedback. A test cell names one, e.g.
``lesson.check("l1-data", ["x_data", "y_data"], ..., stand_in=stand_ins.line_data(80, (-2, 2)))``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import numpyro.distributions as dist

from widgets import inference

OTHER_TRUTH = {"a": -1.0, "b": 1.0, "sigma": 0.5}  # deliberately not the lessons' true values
_OTHER = "a = -1, b = 1, sigma = 0.5"


@dataclasses.dataclass(frozen=True)
class StandIn:
    """What runs in place of an unanswered exercise's variables, so that later cells run.

    Attributes
    ----------
    make : callable
        ``make()``: the stand-in value, made anew; a tuple of values, one per
        answer variable, for an exercise with several.
    says : str
        What the stand-in is, in words, for the feedback.
    """

    make: Callable[[], Any]
    says: str

    def values(self, answers) -> dict:
        """``{variable: stand-in value}`` for the answer variables `answers`."""
        made = self.make()
        return dict(zip(answers, made, strict=True)) if len(answers) > 1 else {answers[0]: made}


@functools.lru_cache(maxsize=1)
def _wider_priors() -> inference.Priors:
    return inference.Priors(a=dist.Normal(0.0, 5.0), b=dist.Normal(0.0, 5.0), sigma=dist.HalfNormal(2.0))


def wider_regression(x, y=None):
    """The stand-in for an unanswered model: the kit's regression with wider priors, not the answer."""
    inference.linear_regression(x, y, priors=_wider_priors())


def regression_model() -> StandIn:
    """A stand-in model: the kit's linear regression with wider priors (not the tutorial's)."""
    return StandIn(
        lambda: wider_regression,
        "the kit's regression model with wider priors (a, b ~ Normal(0, 5), sigma ~ HalfNormal(2)), "
        "not the model asked for",
    )


def _other_line(x, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(size=np.shape(x))
    a, b, sigma = (OTHER_TRUTH[k] for k in ("a", "b", "sigma"))
    return (a * np.asarray(x) + b + sigma * noise).astype(np.float32)


def line_data(n: int = 80, x_range=(-2.0, 2.0)) -> StandIn:
    """A stand-in data set ``(x, y)``: `n` points with x uniform on `x_range`, from another line."""

    def make():
        x = np.random.default_rng(20261126).uniform(*x_range, n).astype(np.float32)
        return x, _other_line(x, 1)

    return StandIn(make, f"{n} points from other true values ({_OTHER}), not the data asked for")


def line_draws(x, count: int = 4, *, at: str = "x_grid") -> StandIn:
    """A stand-in for `count` data sets of y at `x` (named `at` in the feedback), from another line."""
    x = np.asarray(x)
    return StandIn(
        lambda: np.stack([_other_line(x, seed) for seed in range(count)]),
        f"{count} data sets at {at} from other parameters ({_OTHER}), not the true ones",
    )
