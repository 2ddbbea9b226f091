"""Checks of lesson 5: a hierarchical model drawing what a reference draws, a diverging NUTS transition."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import numpy as np
from numpyro import handlers

from widgets.checks._check import Check, Context
from widgets.inference import EIGHT_SCHOOLS
from widgets.inference.trajectory import record_trajectory, start_near


_EFFECTS = "sampled effects (one per school)"


def _schools_draws(model, sites, num_samples: int, challenge: int) -> dict:
    """Forward draws of `model(J, sigma)` at the eight schools' sigma (scaled by the challenge)."""
    sigma = EIGHT_SCHOOLS["sigma"] * (1.0 + 0.01 * (challenge % 50))
    draws: dict[str, list] = {name: [] for name in (*sites, _EFFECTS)}
    for key in jax.random.split(jax.random.PRNGKey(challenge), num_samples):
        trace = handlers.trace(handlers.seed(model, key)).get_trace(J=EIGHT_SCHOOLS["J"], sigma=sigma)
        for name in sites:
            if name in trace:
                draws[name].append(np.asarray(trace[name]["value"]))
        # What NUTS moves in for the schools: the sampled site with one value per school.
        # Centered, that is theta itself; non-centered, the standardized effects.
        per_school = [
            site["value"]
            for name, site in trace.items()
            if site["type"] == "sample" and name != "y" and np.shape(site["value"]) == (EIGHT_SCHOOLS["J"],)
        ]
        if per_school:
            draws[_EFFECTS].append(np.asarray(per_school[0]))
    return {name: np.stack(values) for name, values in draws.items() if values}


@dataclasses.dataclass(frozen=True)
class same_schools_draws(Check):
    """The answer, a model ``model(J, sigma, y=None)``, draws what the reference model draws.

    Both run forward with the same keys at the eight schools' standard errors
    (scaled a little by the challenge), and the values of each site in
    `sites` (sample or deterministic) must agree up to float32 rounding, and
    so must the sampled site with one value per school: what NUTS moves in.
    (A centered model draws the same theta from the same keys, but samples
    theta itself, not standardized effects.)

    Parameters
    ----------
    model : callable
        The reference model, e.g. :func:`widgets.inference.eight_schools_noncentered`.
    sites : sequence of str
        The sites compared.
    num_samples : int
        Draws per site, >= 1.

    Raises
    ------
    ValueError
        If `model` is not callable, `sites` is empty or `num_samples` < 1.

    Examples
    --------
    In lesson 5's test cell, ``lesson.check("l5-model", "eight_schools_reparam",
    same_schools_draws(eight_schools_noncentered))``. The centered model draws
    the same theta, but samples theta itself:

    >>> from widgets.checks.trajectories import same_schools_draws
    >>> from widgets.inference import eight_schools, eight_schools_noncentered
    >>> check = same_schools_draws(eight_schools_noncentered, num_samples=3)
    >>> check(eight_schools_noncentered).passed
    True
    >>> result = check(eight_schools)
    >>> result.reason
    "draws of sampled effects (one per school) differ from the reference model's"
    >>> check(3.0).reason
    'your answer raised ValueError: expected a model function model(J, sigma, y=None); got float'

    For the grader, plain data, decided outside the kernel:

    >>> from widgets.grading import compare
    >>> data = check.data(eight_schools_noncentered)
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    True
    """

    model: Callable
    sites: tuple = ("mu", "tau", "theta", "y")
    num_samples: int = 10
    verdict = "same_draws"
    fresh = True

    def __post_init__(self) -> None:
        if not callable(self.model):
            raise ValueError(f"model must be a model function; got {type(self.model).__name__}")
        if isinstance(self.sites, str) or not self.sites or not all(isinstance(s, str) for s in self.sites):
            raise ValueError(f"sites must be a non-empty sequence of site names; got {self.sites!r}")
        if (
            isinstance(self.num_samples, bool)
            or not isinstance(self.num_samples, int)
            or self.num_samples < 1
        ):
            raise ValueError(f"num_samples must be a whole number >= 1; got {self.num_samples!r}")

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        if not callable(value):
            raise ValueError(f"expected a model function model(J, sigma, y=None); got {type(value).__name__}")
        return _schools_draws(value, self.sites, self.num_samples, ctx.challenge)

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return _schools_draws(self.model, self.sites, self.num_samples, ctx.challenge)

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        return [
            (
                "expected the sample sites",
                "Sample mu, then tau, then the standardized effects inside the plate; record theta "
                "with numpyro.deterministic('theta', ...) and observe y.",
            ),
            (
                "sampled effects",
                "Sample a standard normal effect per school, not theta itself: theta = mu + tau * effect, "
                "recorded with numpyro.deterministic.",
            ),
            (
                "draws of mu differ",
                "Sample mu first, with the reference model's prior.",
            ),
            (
                "draws of tau differ",
                "Sample tau second, after mu, with the reference model's prior for a scale.",
            ),
            (
                "differ",
                "theta must be mu + tau * (a standard normal draw per school), sampled in that order.",
            ),
        ]


@dataclasses.dataclass(frozen=True)
class diverging_trajectory(Check):
    """The answer, a TrajectoryPanel's code line, replays a transition of `fit` that diverges.

    The transition is recorded again from the panel's start, seed and chain
    (:func:`widgets.inference.trajectory.record_trajectory`); the answer is 1
    if it diverges, 0 if not, and must be 1.

    Parameters
    ----------
    fit : str
        The notebook's name of the fit the panel must replay.

    Raises
    ------
    ValueError
        If `fit` is not a Python name.

    Examples
    --------
    In lesson 5's test cell, ``lesson.check("l5-diverge", "my_panel", diverging_trajectory("fit_centered"))``,
    with ``my_panel = TrajectoryPanel(fit_centered, ...)`` copied from the panel's
    code line. What is not a panel is refused, and the grader's reference is 1:

    >>> from widgets.checks.trajectories import diverging_trajectory
    >>> check = diverging_trajectory("fit_centered")
    >>> check("TrajectoryPanel(fit_centered)").reason
    "your answer raised ValueError: the answer must be the TrajectoryPanel's code line, TrajectoryPanel(...)"
    >>> check.reference(None)
    {'value': 1.0, 'rtol': 0.0, 'atol': 0.0, 'mcse': None}

    The grader decides on plain data outside the kernel: a transition that diverged is 1.

    >>> from widgets.grading import compare
    >>> compare.verdict(check.verdict, 1.0, check.reference(None))[0]
    True
    >>> compare.verdict(check.verdict, 0.0, check.reference(None))[0]
    False
    """

    fit: str = "fit_centered"
    verdict = "close"

    def __post_init__(self) -> None:
        if not (isinstance(self.fit, str) and self.fit.isidentifier()):
            raise ValueError(
                f"fit must be the notebook's name of the fit, e.g. 'fit_centered'; got {self.fit!r}"
            )

    def answer(self, value, ctx: Context) -> float:  # noqa: D102 - see Check
        if not all(hasattr(value, k) for k in ("fit", "x", "y", "start", "seed", "chain")):
            raise ValueError("the answer must be the TrajectoryPanel's code line, TrajectoryPanel(...)")
        expected = ctx.namespace.get(self.fit)
        if expected is not None and value.fit.model is not expected.model:
            raise ValueError(f"the panel must replay {self.fit}")
        start = start_near(value.fit, {value.x: value.start[0], value.y: value.start[1]})
        trajectory = record_trajectory(value.fit, start, chain=value.chain, seed=value.seed)
        return 1.0 if trajectory.diverging else 0.0

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"value": 1.0, "rtol": 0.0, "atol": 0.0, "mcse": None}

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        return [
            (
                "further from the expected",
                "That transition does not diverge. Click lower on the plot, into the funnel's neck "
                "(small log tau), or try another seed, until the panel says it diverged.",
            ),
        ]
