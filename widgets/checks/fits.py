"""Checks of a fit's settings: the smallest run that fits without a warning."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from widgets import inference
from widgets.checks._check import Check, Context, resolve


@functools.lru_cache(maxsize=8)
def fits_without_warning(x: bytes, y: bytes, priors, num_warmup, num_samples, num_chains, seed) -> bool:
    """Whether a fit of the data (float32 bytes of `x` and `y`) with these settings has healthy diagnostics.

    Cached: instant feedback, its hidden twin and a second look at the same
    answer ask for the same fits.
    """
    result = inference.fit(
        np.frombuffer(x, np.float32),
        np.frombuffer(y, np.float32),
        priors=priors,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        seed=seed,
    )
    return result.diagnostics.ok


def _data(value, ctx: Context) -> bytes:
    value = ctx.namespace[value] if isinstance(value, str) else resolve(value, ctx)
    return np.asarray(value, np.float32).tobytes()


@dataclasses.dataclass(frozen=True)
class healthy_fit(Check):
    """The answer's fit settings give the smallest healthy number of draws per chain, in steps.

    The answer is a panel's code line, e.g. ``FitPanel(x_data, y_data, ...)``: anything
    with ``priors``, ``num_warmup``, ``num_samples``, ``num_chains`` and ``seed``.
    Its fit of the data must show no warning sign (divergences, R-hat, ESS:
    :attr:`widgets.inference.Fit.diagnostics`) and the same fit with `step`
    fewer draws must show one: lowering from `start` in steps, it is where the
    warnings begin. The settings in `keep` must be unchanged. Fits above
    `start` are not run.

    Parameters
    ----------
    x, y : str, array or callable
        The data fitted: a notebook variable's name, the values, or a function giving them.
    step : int
        The step down in draws per chain.
    start : int
        Where the student starts lowering.
    keep : dict
        ``num_warmup``, ``num_chains`` and ``priors`` the answer must keep.

    Examples
    --------
    The grader's half on plain data (the fits already run in the kernel):

    >>> from widgets.checks import Context, healthy_fit
    >>> from widgets.grading import compare
    >>> check = healthy_fit("x_data", "y_data", step=100, start=1000)
    >>> reference = check.reference(Context())
    >>> answer = {"num_samples": 200, "num_warmup": 500, "num_chains": 4, "priors": reference["priors"],
    ...           "healthy": True, "lower": {"num_samples": 100, "healthy": False}}
    >>> compare.verdict(check.verdict, answer, reference)
    (True, '200 samples fit without a warning and 100 do not')
    >>> check.hint("the fit with 100 samples per chain still warns")
    'Go back up 100: the answer is the last number of samples before the verdict warned.'

    In the notebook the check runs the fits itself (a few seconds), e.g. on
    lesson 1's data, where 200 draws per chain is the answer:

    >>> import types
    >>> from widgets.inference import Priors, simulate
    >>> x = np.linspace(-2, 2, 80); y = simulate(x, a=1.5, b=-0.5, sigma=0.3, seed=0)
    >>> panel = types.SimpleNamespace(priors=Priors(), num_warmup=500, num_samples=1100, num_chains=4, seed=0)
    >>> check(panel, Context(namespace={"x_data": x, "y_data": y})).reason  # no fit above start
    'start at 1000 samples and go down in steps of 100'
    """

    x: Any = "x_data"
    y: Any = "y_data"
    step: int = 100
    start: int = 1000
    keep: dict = dataclasses.field(
        default_factory=lambda: {"num_warmup": 500, "num_chains": 4, "priors": inference.Priors()}
    )
    verdict = "healthy_fit"
    fresh = False

    def answer(self, value, ctx: Context) -> dict:  # noqa: D102 - see Check
        if not all(hasattr(value, k) for k in ("priors", "num_warmup", "num_samples", "num_chains", "seed")):
            raise ValueError("the answer must be the FitPanel's code line, FitPanel(...)")
        answer = {
            "num_samples": value.num_samples,
            "num_warmup": value.num_warmup,
            "num_chains": value.num_chains,
            "priors": repr(value.priors),
            "healthy": None,
            "lower": None,
        }
        if value.num_samples <= self.start:  # larger fits are refused without running them
            data = (_data(self.x, ctx), _data(self.y, ctx), value.priors, value.num_warmup)
            answer["healthy"] = fits_without_warning(*data, value.num_samples, value.num_chains, value.seed)
            lower = value.num_samples - self.step
            if lower >= 1:
                healthy = fits_without_warning(*data, lower, value.num_chains, value.seed)
                answer["lower"] = {"num_samples": lower, "healthy": healthy}
        return answer

    def reference(self, ctx: Context) -> dict:  # noqa: D102 - see Check
        return {
            "step": self.step,
            "max_samples": self.start,
            "num_warmup": self.keep["num_warmup"],
            "num_chains": self.keep["num_chains"],
            "priors": repr(self.keep["priors"]),
        }

    def hint_table(self) -> list[tuple[str, str]]:  # noqa: D102 - see Check
        step, start = self.step, self.start
        return [
            (
                "still warns",
                f"Go back up {step}: the answer is the last number of samples before the verdict warned.",
            ),
            (
                "also fit without a warning",
                f"Keep lowering in steps of {step} until the verdict warns; the answer is the number just "
                "before that.",
            ),
            ("keep", "Change only samples in the panel: leave warmup, chains and the priors as they are."),
            ("start at", f"Start from {start} samples per chain and go down in steps of {step}."),
        ]
