"""Verdicts on plain data: is an answer right, compared with the reference.

Pure NumPy on JSON-like data (dicts, lists, numbers, strings), so the grader
runs them in its own process on answers taken out of the student's kernel;
nothing a notebook defines or patches reaches them. Tolerances for answers
that depend on random draws come from Monte Carlo error, never from a
hard-coded expected number.

Each comparator returns ``(passed, reason)``; the reason never reveals the
reference answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Z = 4.5  # |z| beyond this by chance: ~7e-6 per check


def _array(value, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has values that are not finite numbers")
    return array


def _tolerance(reference: dict) -> np.ndarray | float:
    """``atol + rtol * |value| + Z * mcse`` from a reference's optional ``rtol``, ``atol`` and ``mcse``."""
    value = np.abs(_array(reference["value"], "the reference"))
    rtol, atol = float(reference.get("rtol", 0.0)), float(reference.get("atol", 0.0))
    mcse = reference.get("mcse")
    extra = 0.0 if mcse is None else Z * _array(mcse, "mcse")
    return atol + rtol * value + extra


def close(answer, reference) -> tuple[bool, str]:
    """A number equals the reference value within ``atol + rtol * |value| + Z * mcse``.

    `reference` is ``{"value": float, "rtol": float, "atol": float, "mcse": float or None}``
    (tolerances optional, 0 by default); `answer` is a number.
    """
    if isinstance(answer, bool) or np.ndim(answer) != 0:
        return False, "the answer must be one number"
    value = float(_array(answer, "the answer"))
    if abs(value - float(reference["value"])) > _tolerance(reference):
        return False, "the value is further from the expected one than the tolerance allows"
    return True, "the value is within the tolerance"


def allclose(answer, reference) -> tuple[bool, str]:
    """An array equals the reference array, element by element, within the tolerance of :func:`close`.

    `reference` is ``{"value": array, "rtol", "atol", "mcse"}``; ``mcse`` may be
    one number or an array of the reference's shape. `answer` is an array (nested lists).
    """
    value, expected = _array(answer, "the answer"), _array(reference["value"], "the reference")
    if value.shape != expected.shape:
        return False, f"the answer has shape {value.shape}; expected {expected.shape}"
    off = np.abs(value - expected) > _tolerance(reference)
    if off.any():
        return False, f"{int(off.sum())} of {off.size} values are further from the expected ones than allowed"
    return True, f"all {off.size} values are within the tolerance"


def same_draws(answer, reference, *, rtol: float = 1e-4, atol: float = 1e-4) -> tuple[bool, str]:
    """Equal arrays under each key (e.g. draws of a model with the same seed)."""
    if not isinstance(answer, dict) or set(answer) != set(reference):
        got = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
        return False, f"expected the sample sites {sorted(reference)}; got {got}"
    for key in reference:
        a, r = _array(answer[key], key), _array(reference[key], key)
        if a.shape != r.shape:
            return False, f"{key} has shape {a.shape}; expected {r.shape}"
        if not np.allclose(a, r, rtol=rtol, atol=atol):
            return False, f"draws of {key} differ from the reference model's"
    return True, "same draws as the reference model"


def regression_data(answer, reference) -> tuple[bool, str]:
    """Data x, y look like draws of y = a*x + b + Normal(0, sigma) with the given n and x range."""
    x, y = _array(answer["x"], "x"), _array(answer["y"], "y")
    n, a, b, sigma = (reference[k] for k in ("n", "a", "b", "sigma"))
    low, high = reference["x_range"]
    if x.shape != (n,) or y.shape != (n,):
        return False, f"x and y must each hold {n} values; got {x.shape} and {y.shape}"
    if x.min() < low or x.max() > high:
        return False, f"x must lie in [{low}, {high}]"
    residual = y - (a * x + b)
    if abs(residual.mean()) > Z * sigma / math.sqrt(n):
        return False, "y is not centred on the true line a*x + b"
    if abs(residual.std() - sigma) > Z * sigma / math.sqrt(2 * n):
        return False, "the noise around the line does not have the right spread"
    return True, "looks like data from the model"


def standard_normal_noise(answer, reference) -> tuple[bool, str]:
    """Replicated y are ``mean + Normal(0, sigma)`` draws, with the expected shape.

    ``reference["mean"]`` is the mean (broadcast against y), or it is the line
    ``a * x + b`` from ``reference["a"]``, ``["b"]`` and ``["x"]``. The
    standardised residuals' mean must be within ``Z / sqrt(n)`` of 0 and their
    sd within ``Z / sqrt(2 n)`` of 1.
    """
    y = _array(answer["y"], "y")
    if y.shape != tuple(reference["shape"]):
        return False, f"y has shape {y.shape}; expected {tuple(reference['shape'])}"
    if "mean" in reference:
        mean = _array(reference["mean"], "mean")
    else:
        mean = reference["a"] * _array(reference["x"], "x") + reference["b"]
    z = (y - mean) / reference["sigma"]
    if abs(z.mean()) > Z / math.sqrt(z.size) or abs(z.std() - 1) > Z / math.sqrt(2 * z.size):
        return False, "the draws do not follow the model with those fixed parameters"
    return True, "draws follow the model with the fixed parameters"


def within_mcse(answer, reference) -> tuple[bool, str]:
    """A Monte Carlo estimate agrees with the reference estimate within their joint error.

    The tolerance is ``Z * sqrt(2) * reference["mcse"]``: both estimates carry
    about the same Monte Carlo error. The student's own claimed error is not used.
    """
    value = float(_array(answer["value"], "value"))
    tolerance = Z * math.sqrt(2) * float(reference["mcse"])
    if abs(value - float(reference["value"])) > tolerance:
        return False, "the value is further from the reference than Monte Carlo error allows"
    return True, "agrees with the reference within Monte Carlo error"


def share_at_most(answer, reference) -> tuple[bool, str]:
    """A share is at most the limit, allowing its binomial error; priors' sds are large enough.

    The share was estimated from ``answer["draws"]`` draws, so it may exceed the
    limit by ``Z * sqrt(limit * (1 - limit) / draws)``. Each site of
    ``reference["min_sd"]`` (or ``"min_sd_a"``, the slope's) must have a prior
    sd, ``answer["sd"][site]`` (or ``answer["sd_a"]``), of at least that minimum.
    """
    share, draws = float(answer["share"]), int(answer["draws"])
    limit = float(reference["limit"])
    allowance = Z * math.sqrt(limit * (1 - limit) / draws)
    if share > limit + allowance:
        return False, f"{share:.1%} of prior predictive y falls outside the range; at most {limit:.0%} may"
    minimum = dict(reference.get("min_sd", {}))
    if "min_sd_a" in reference:
        minimum["a"] = reference["min_sd_a"]
    sd = answer.get("sd", {"a": answer.get("sd_a")})
    for site, least in minimum.items():
        if float(sd[site]) < float(least):
            return False, f"the prior on {site} is too narrow: its sd must be at least {least:g}"
    return True, f"{share:.1%} outside, within the limit"


def coverage(answer, reference) -> tuple[bool, str]:
    """An interval covers the reference draws with the nominal probability, within Monte Carlo error."""
    low, high = float(answer["lower"]), float(answer["upper"])
    draws = _array(reference["draws"], "draws")
    if not low < high:
        return False, "the lower end must be below the upper end"
    covered = float(np.mean((draws >= low) & (draws <= high)))
    nominal = float(reference["probability"])
    n_eff = float(reference["effective_draws"])
    if abs(covered - nominal) > Z * math.sqrt(2 * nominal * (1 - nominal) / n_eff):
        return False, f"the interval covers {covered:.1%} of predictive draws; it should cover {nominal:.0%}"
    return True, f"covers {covered:.1%} of predictive draws"


def one_of(answer, reference) -> tuple[bool, str]:
    """The chosen option of a multiple-choice question is the right one."""
    given = str(answer).strip().upper()
    if given not in reference["options"]:
        return False, f"answer with one of {', '.join(reference['options'])}"
    return given == reference["answer"], "right" if given == reference["answer"] else "not that one"


def healthy_fit(answer, reference) -> tuple[bool, str]:
    """The smallest healthy number of draws per chain, in the reference's steps.

    The answer's fit must show no warning sign and a fit with one step fewer
    draws (same seed and settings) must show one: lowering in steps from the
    start, it is where the warnings begin. Warmup, chains and priors must be
    the reference's. Fits above ``max_samples`` are not run (``healthy`` is
    None), so the check stays quick.
    """
    for key, what in (("num_warmup", "warmup iterations"), ("num_chains", "chains")):
        if answer[key] != reference[key]:
            return False, f"keep {reference[key]} {what}; the answer has {answer[key]}"
    if answer["priors"] != reference["priors"]:
        return False, "keep the lesson's priors; the answer's fit uses other priors"
    step, samples = int(reference["step"]), int(answer["num_samples"])
    if samples > reference["max_samples"]:
        return False, f"start at {reference['max_samples']} samples and go down in steps of {step}"
    if not answer["healthy"]:
        return False, f"the fit with {samples} samples per chain still warns"
    lower = answer["lower"]
    if lower is not None and lower["healthy"]:
        return False, f"{lower['num_samples']} samples, one step lower, also fit without a warning"
    return True, f"{samples} samples fit without a warning and {samples - step} do not"


COMPARATORS: dict[str, Callable] = {
    f.__name__: f
    for f in (
        close,
        allclose,
        same_draws,
        regression_data,
        standard_normal_noise,
        within_mcse,
        share_at_most,
        coverage,
        one_of,
        healthy_fit,
    )
}
# The names before issue 11, until the lessons use the checks' names.
noise_is_standard_normal, choice, smallest_healthy = standard_normal_noise, one_of, healthy_fit
COMPARATORS.update(
    noise_is_standard_normal=standard_normal_noise, choice=one_of, smallest_healthy=healthy_fit
)


def choose_hint(hints: dict, reason: str) -> str:
    """The hint for a failed check: the first whose reason fragment is in `reason`, else the default.

    Parameters
    ----------
    hints : dict
        ``{"default": str, "by_reason": [[fragment, hint], ...]}``, as plain data.
    reason : str
        What the check found.
    """
    for fragment, hint in hints.get("by_reason", []):
        if fragment in reason:
            return hint
    return hints["default"]


def verdict(comparator: str, answer, reference) -> tuple[bool, str]:
    """Run comparator `comparator`; a malformed answer fails with a reason instead of raising."""
    try:
        return COMPARATORS[comparator](answer, reference)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        return False, f"the answer has the wrong form ({error_text(err)})"


def error_text(err: BaseException) -> str:
    """An exception as ``Type: message``, or ``Type`` alone when it has no message."""
    message = str(err).strip()
    return f"{type(err).__name__}: {message}" if message else type(err).__name__
