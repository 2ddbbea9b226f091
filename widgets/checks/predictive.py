"""Checks on predictive draws: an interval's coverage, and the share of draws beyond a bound."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from widgets import inference
from widgets.checks._check import Check, Context, resolve, takes_seed


@dataclasses.dataclass(frozen=True)
class coverage(Check):
    """The answer, ``(lower, upper)``, covers a share `probability` of reference draws, within MC error.

    Both the answer's own quantiles and the reference draws carry Monte Carlo
    error; with `effective_draws` behind each, the covered share may differ from
    `probability` by ``4.5 * sqrt(2 p (1 - p) / effective_draws)``.

    Parameters
    ----------
    probability : float
        The interval's nominal probability, e.g. 0.95.
    draws : array or callable
        The reference draws, or a function making them (given ``seed=`` if it
        takes one: then grading draws them anew).
    effective_draws : float
        Effective number of draws behind the answer and the reference.

    Examples
    --------
    The central 95% interval of N(0, 1) against 4000 of its draws:

    >>> import numpy as np
    >>> from widgets.checks import coverage
    >>> check = coverage(0.95, draws=lambda seed: np.random.default_rng(seed).normal(size=4000),
    ...                  effective_draws=1000)
    >>> check((-1.96, 1.96)).passed, check((-1.0, 1.0)).passed
    (True, False)
    >>> check((1.96, -1.96)).hint
    'Give (lower, upper): the lower end comes first.'
    >>> check.fresh
    True

    >>> from widgets.grading import compare
    >>> data = check.data((-1.96, 1.96))
    >>> data["answer"], len(data["reference"]["draws"])
    ({'lower': -1.96, 'upper': 1.96}, 4000)
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    True
    """

    probability: float
    draws: Any
    effective_draws: float = 1000
    verdict = "coverage"

    @property
    def fresh(self) -> bool:  # noqa: D102 - see Check
        return takes_seed(self.draws)

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        lower, upper = value
        return {"lower": float(lower), "upper": float(upper)}

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        draws = np.ravel(np.asarray(resolve(self.draws, ctx), dtype=float))
        return {"draws": draws, "probability": self.probability, "effective_draws": self.effective_draws}

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        return [("lower end must be below", "Give (lower, upper): the lower end comes first.")]


@dataclasses.dataclass(frozen=True)
class share_at_most(Check):
    """The answer, :class:`~widgets.inference.Priors`, keeps all but `limit` of prior predictive y in range.

    The share of prior predictive y with ``|y| > beyond`` is estimated from
    `draws` prior predictive data sets at `x`, so it
    may exceed the limit by ``4.5 * sqrt(limit (1 - limit) / draws)``. Priors
    narrower than `min_sd` on a site are refused: the limit alone would pass a
    prior that rules out everything.

    Parameters
    ----------
    limit : float
        The largest share allowed.
    beyond : float
        The bound on ``|y|``.
    x : array
        The inputs of the prior predictive draws.
    draws : int
        How many data sets to draw.
    min_sd : dict, optional
        ``{site: least sd}`` of the priors.

    Examples
    --------
    >>> import numpy as np, numpyro.distributions as dist
    >>> from widgets.checks import share_at_most
    >>> from widgets.inference import Priors
    >>> check = share_at_most(0.05, beyond=5, x=np.linspace(-2, 2, 50), draws=4000, min_sd={"a": 1.0})
    >>> check(Priors(a=dist.Normal(0.0, 1.0), b=dist.Normal(0.0, 1.0), sigma=dist.HalfNormal(0.5))).passed
    True
    >>> check(Priors()).passed  # the tutorial's priors are wider
    False
    >>> check(Priors(a=dist.Normal(0.0, 0.5), b=dist.Normal(0.0, 1.0), sigma=dist.HalfNormal(0.5))).reason
    'the prior on a is too narrow: its sd must be at least 1'

    >>> from widgets.grading import compare
    >>> narrow = Priors(a=dist.Normal(0.0, 1.0), b=dist.Normal(0.0, 1.0), sigma=dist.HalfNormal(0.5))
    >>> data = check.data(narrow)
    >>> data["reference"]
    {'limit': 0.05, 'min_sd': {'a': 1.0}}
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    True
    """

    limit: float
    beyond: float
    x: Any
    draws: int = 4000
    min_sd: dict | None = None
    verdict = "share_at_most"
    fresh = True

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        if not isinstance(value, inference.Priors):
            raise ValueError("the answer must be Priors(...), copied from the PriorPanel's code line")
        x = np.asarray(self.x)
        y = inference.prior_predictive(x, priors=value, num_samples=self.draws, seed=ctx.challenge)["y"]
        sd = {site: float(np.sqrt(getattr(value, site).variance)) for site in (self.min_sd or {})}
        return {"share": float(np.mean(np.abs(y) > self.beyond)), "draws": self.draws, "sd": sd}

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {"limit": self.limit, "min_sd": dict(self.min_sd or {})}
