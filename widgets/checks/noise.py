"""Checks of simulated data: draws around a mean with Normal noise of a known scale."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from widgets.checks._check import Check, Context, resolve


@dataclasses.dataclass(frozen=True)
class standard_normal_noise(Check):
    """The answer, an array of `shape`, is `mean` plus Normal(0, `sigma`) noise.

    The standardised residuals ``(y - mean) / sigma`` must have a mean within
    ``4.5 / sqrt(n)`` of 0 and an sd within ``4.5 / sqrt(2 n)`` of 1, n being
    their number.

    Parameters
    ----------
    mean : array or callable
        The noise-free values (broadcast against the answer), or a function computing them.
    sigma : float
        The noise's scale.
    shape : tuple of int
        The answer's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from widgets.checks import standard_normal_noise
    >>> x = np.linspace(-2, 2, 50)
    >>> check = standard_normal_noise(mean=lambda: 1.5 * x - 0.5, sigma=0.3, shape=(4, 50))
    >>> y = 1.5 * x - 0.5 + 0.3 * np.random.default_rng(0).normal(size=(4, 50))
    >>> check(y).passed, check(y + 0.3).passed, check(y[:2]).reason
    (True, False, 'y has shape (2, 50); expected (4, 50)')

    >>> from widgets.grading import compare
    >>> data = check.data(y)
    >>> compare.verdict(data["check"], data["answer"], data["reference"])
    (True, 'draws follow the model with the fixed parameters')
    """

    mean: Any
    sigma: float
    shape: tuple
    verdict = "standard_normal_noise"
    fresh = False

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"y": np.asarray(value, dtype=float)}

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        mean = np.asarray(resolve(self.mean, ctx), dtype=float)
        return {"mean": mean, "sigma": float(self.sigma), "shape": list(self.shape)}


@dataclasses.dataclass(frozen=True)
class regression_data(Check):
    """The answer, ``(x, y)``, looks like `n` draws of ``y = a x + b + Normal(0, sigma)`` with x in `x_range`.

    The residuals from the line must have a mean within ``4.5 sigma / sqrt(n)``
    of 0 and an sd within ``4.5 sigma / sqrt(2 n)`` of sigma.

    Parameters
    ----------
    a, b, sigma : float
        The true slope, intercept and noise scale.
    n : int
        The number of points.
    x_range : (float, float)
        Where x must lie.

    Examples
    --------
    >>> import numpy as np
    >>> from widgets.checks import regression_data
    >>> check = regression_data(a=1.5, b=-0.5, sigma=0.3, n=80, x_range=(-2, 2))
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-2, 2, 80)
    >>> check((x, 1.5 * x - 0.5 + 0.3 * rng.normal(size=80))).passed
    True
    >>> result = check((x, 1.5 * x - 0.5 + 0.9 * rng.normal(size=80)))
    >>> result.reason
    'the noise around the line does not have the right spread'

    >>> from widgets.grading import compare
    >>> data = check.data((x, 1.5 * x - 0.5))
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]  # no noise at all
    False
    """

    a: float
    b: float
    sigma: float
    n: int
    x_range: tuple = (-2.0, 2.0)
    verdict = "regression_data"
    fresh = False

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        x, y = value
        return {"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)}

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {
            "a": float(resolve(self.a, ctx)),
            "b": float(resolve(self.b, ctx)),
            "sigma": float(resolve(self.sigma, ctx)),
            "n": int(self.n),
            "x_range": [float(v) for v in self.x_range],
        }
