"""Checks of simulation-based calibration answers: a simulator's noise prior, a panel's setting."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from widgets.checks._check import Context
from widgets.checks.estimates import _number, close, within_mcse

# The regression's noise prior, HalfNormal(1): its mean and sd.
HALF_NORMAL_MEAN_SD = (math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi))
_X = np.linspace(-2.0, 2.0, 5)


def stand_in_simulator(rng, x):
    """A simulator with other priors than the regression's (a, b ~ Normal(0, 1), sigma ~ Exponential(2))."""
    a, b, sigma = rng.normal(0.0, 1.0), rng.normal(0.0, 1.0), rng.exponential(2.0)
    return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}


@dataclasses.dataclass(frozen=True)
class simulator_noise(within_mcse):
    """The answer, a simulator ``simulator(rng, x)``, draws ``sigma`` from the model's noise prior.

    The simulator is called ``effective_draws`` times, simulation i with
    ``numpy.random.default_rng([challenge, i])`` at 5 points of [-2, 2]; the
    mean of its ``sigma`` draws must agree with the prior's mean within 4.5
    Monte Carlo standard errors (:class:`within_mcse`). Grading calls it with
    new seeds.

    Parameters
    ----------
    reference_value : (float, float)
        The prior's mean and sd of sigma: HalfNormal(1)'s by default.
    effective_draws : int
        Simulations drawn.

    Examples
    --------
    In lesson 4's test cell, ``lesson.check("l4-simulator", "simulate_regression", simulator_noise())``.
    A simulator whose noise prior is the model's HalfNormal(1) passes; one drawing sigma
    three times as wide does not:

    >>> from widgets.checks import simulator_noise
    >>> def simulator(rng, x):
    ...     a, b, sigma = rng.normal(0.0, 2.0), rng.normal(0.0, 2.0), abs(rng.normal(0.0, 1.0))
    ...     return {"a": a, "b": b, "sigma": sigma, "y": rng.normal(a * x + b, sigma)}
    >>> check = simulator_noise()
    >>> check(simulator).passed
    True
    >>> def too_wide(rng, x):
    ...     return {**simulator(rng, x), "sigma": abs(rng.normal(0.0, 3.0))}
    >>> check(too_wide).passed
    False

    For the grader, as plain data, decided outside the kernel:

    >>> from widgets.grading import compare
    >>> data = check.data(simulator)
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    True
    """

    reference_value: tuple = HALF_NORMAL_MEAN_SD
    effective_draws: float = 4000

    @property
    def fresh(self) -> bool:  # noqa: D102 - see Check
        return True

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        if not callable(value):
            raise ValueError(f"expected a function simulator(rng, x); got {type(value).__name__}")
        sigmas = []
        for i in range(int(self.effective_draws)):
            draw = value(np.random.default_rng([ctx.challenge, i]), _X)
            if not isinstance(draw, dict) or "sigma" not in draw:
                raise ValueError("expected the simulator to return a dict with 'sigma' among its keys")
            sigmas.append(_number(draw["sigma"]))
        return {"value": float(np.mean(sigmas))}


@dataclasses.dataclass(frozen=True)
class panel_setting(close):
    """The answer, a panel made from its copied code line, has its trait `name` close to `value`.

    Parameters
    ----------
    value : float
        The expected setting.
    name : str
        The panel's trait, e.g. ``"thin"``.

    Examples
    --------
    In lesson 4's test cell, ``lesson.check("l4-thin", "my_panel", panel_setting(10, name="thin"))``,
    with ``my_panel = SBCPanel(...)`` copied from the panel's code line. Anything with
    the panel's ``code`` and the setting will do to show it:

    >>> from types import SimpleNamespace
    >>> from widgets.checks import panel_setting
    >>> check = panel_setting(10, name="thin")
    >>> check(SimpleNamespace(code="SBCPanel(...)", thin=10)).passed
    True
    >>> check(SimpleNamespace(code="SBCPanel(...)", thin=1)).passed
    False
    >>> check(10).reason
    "your answer raised ValueError: expected a panel with a 'thin' setting; got int"

    For the grader, as plain data, decided outside the kernel:

    >>> from widgets.grading import compare
    >>> data = check.data(SimpleNamespace(code="SBCPanel(...)", thin=10))
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    True
    """

    name: str = ""

    def answer(self, value, ctx: Context) -> float:  # noqa: D102 - see Check
        if not hasattr(value, "code") or not hasattr(value, self.name):
            raise ValueError(f"expected a panel with a {self.name!r} setting; got {type(value).__name__}")
        return _number(getattr(value, self.name))
