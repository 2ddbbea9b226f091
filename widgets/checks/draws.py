"""Checks of models: the answer's model draws what a reference model draws."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from widgets.inference.predictive import prior_draws
from widgets.checks._check import Check, Context


def challenge_x(challenge: int) -> np.ndarray:
    """The inputs a model is run at: 9 points on [-3, 3], shifted a little by the challenge."""
    return np.linspace(-3.0, 3.0, 9) + 0.01 * (challenge % 50)


def _listed(names) -> str:
    quoted = [f"'{n}'" for n in names]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


@dataclasses.dataclass(frozen=True)
class same_draws(Check):
    """The answer, a NumPyro model ``model(x, y=None)``, draws what the reference model draws.

    Both models are run forward (prior predictive) with the same random key at
    the same inputs, and the draws of each site in `sites` must agree up to
    float32 rounding (``rtol = atol = 1e-4``). Grading runs them at new inputs
    with a new key, so a model that only copies the reference's numbers fails.

    Parameters
    ----------
    model : callable
        The reference model, called as ``model(x, y=None)``.
    sites : sequence of str
        The sample sites to compare, in the order the models sample them; the
        observed site last.
    num_samples : int
        Draws per site.

    Examples
    --------
    >>> import numpyro, numpyro.distributions as dist
    >>> from widgets.checks import same_draws
    >>> from widgets.inference import linear_regression
    >>> check = same_draws(linear_regression, sites=["a", "b", "sigma", "y"])
    >>> def wide_b(x, y=None):
    ...     a = numpyro.sample("a", dist.Normal(0.0, 2.0))
    ...     b = numpyro.sample("b", dist.Normal(0.0, 5.0))
    ...     sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    ...     with numpyro.plate("data", x.shape[0]):
    ...         numpyro.sample("y", dist.Normal(a * x + b, sigma), obs=y)
    >>> check(linear_regression).passed
    True
    >>> result = check(wide_b)
    >>> result.reason
    "draws of b differ from the reference model's"

    The check's own hints follow from `sites`:

    >>> print(check.hint("expected the sample sites ['a', 'b', 'sigma', 'y']; got ['a']"))
    Name the sample sites exactly 'a', 'b', 'sigma' and 'y' (the first argument of numpyro.sample),
    and sample nothing else.

    For the grader, plain data, decided outside the kernel:

    >>> from widgets.grading import compare
    >>> data = check.data(wide_b)
    >>> sorted(data["answer"]), len(data["answer"]["y"])
    (['a', 'b', 'sigma', 'y'], 20)
    >>> compare.verdict(data["check"], data["answer"], data["reference"])[0]
    False
    """

    model: Callable
    sites: tuple = ("a", "b", "sigma", "y")
    num_samples: int = 20
    verdict = "same_draws"
    fresh = True

    def _draws(self, model, ctx: Context) -> dict:
        # Not compiled: the reference and the answer share their operations' programs.
        x = challenge_x(ctx.challenge)
        draws = prior_draws(x, num_samples=self.num_samples, seed=ctx.challenge, model=model)
        return {k: draws[k] for k in self.sites if k in draws}

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        return self._draws(value, ctx)

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return self._draws(self.model, ctx)

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        y = self.sites[-1]
        return [
            (
                "expected the sample sites",
                f"Name the sample sites exactly {_listed(self.sites)} (the first argument of "
                "numpyro.sample), and sample nothing else.",
            ),
            ("has shape", f"Draw `{y}` once for each value of `x`: `{y}` must have the shape of `x`."),
        ]
