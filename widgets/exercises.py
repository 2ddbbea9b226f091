"""The lessons' graded exercises, and the instant feedback a student sees.

Each exercise names the notebook variables that hold the answer, how to take
that answer out of the kernel as plain data (``extract``), how the kit
computes the reference to compare it with (``reference``), and which
comparator of :mod:`widgets.grading.compare` decides. In the notebook,
:meth:`Lesson.check` runs all three at once for instant feedback. At grading
time the grader runs ``extract`` in the student's kernel and ``reference`` in
a run of the source lesson (with its solutions), and decides in its own
process: what a student's notebook does to this module cannot change a grade.

An exercise is *not answered yet* while its variables are undefined, still
the release's stub (``...``, or a function with an empty body) or stand-ins.
A stand-in is what the check puts in place of an unanswered answer that later
cells need (a model, a data set), so that the rest of the lesson still runs and
shows its panels. Stand-ins are announced, never overwrite what a student
wrote, and are deliberately not the answer: they earn no points here, and the
grader reads them as unanswered (and would find them wrong if it did not).

Multiple-choice answers are checked in the notebook against a salted digest,
so this module does not give them away; the grader takes the right option
from the source lesson's solution.
"""

from __future__ import annotations

import dataclasses
import dis
import functools
import hashlib
import html
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import numpyro.distributions as dist

from widgets import inference
from widgets.checks.fits import fits_without_warning
from widgets.grading.compare import choose_hint, error_text, verdict

NOT_ANSWERED = "not answered yet"


class NotAnswered(Exception):
    """There is no answer to check: it is missing, still the stub, or a stand-in, or it needs one.

    Parameters
    ----------
    detail : str
        What is missing, in words.
    blocked : bool
        True if the exercise's own answer is there but an answer it needs is not.
    """

    def __init__(self, detail: str, *, blocked: bool = False):
        self.detail, self.blocked = detail, blocked
        super().__init__(f"{'not checked yet' if blocked else NOT_ANSWERED}: {detail}")


@dataclasses.dataclass(frozen=True)
class StandIn:
    """What runs in place of an unanswered exercise's variables, so that later cells run.

    Attributes
    ----------
    make : callable
        ``make()``: a dict of variable name to stand-in value, made anew.
    says : str
        What the stand-in is, in words, for the feedback.
    """

    make: Callable[[], dict]
    says: str


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    Attributes
    ----------
    grade_id : str
        The nbgrader ``grade_id`` of its test cell.
    points : int
        Points it is worth.
    answers : tuple of str
        The notebook variables that hold the student's answer.
    comparator : str
        Name of the function in :mod:`widgets.grading.compare` that decides.
    hint : str
        Shown when the answer is not right and no hint below fits; never gives the answer away.
    extract : callable
        ``extract(namespace, challenge)``: the answer as plain data.
    reference : callable
        ``reference(namespace, challenge)``: what the answer is compared with.
    digest : str
        For multiple choice: salted SHA-256 of the right option, for feedback.
    hints : tuple of (str, str)
        ``(fragment, hint)``: the hint to give when the check's reason contains the fragment.
    needs : tuple of str
        Variables of other exercises that the check compares through (e.g. the
        data a posterior was fitted to): while one is unanswered, this
        exercise is not checked.
    stand_in : StandIn or None
        What runs in place of `answers` while they are unanswered.
    fresh_draws : bool
        Whether the grader checks again with random inputs or draws made anew.
    """

    grade_id: str
    points: int
    answers: tuple[str, ...]
    comparator: str
    hint: str
    extract: Callable[[dict, int], Any]
    reference: Callable[[dict, int], Any]
    digest: str = ""
    hints: tuple[tuple[str, str], ...] = ()
    needs: tuple[str, ...] = ()
    stand_in: StandIn | None = None
    fresh_draws: bool = False

    def hint_data(self) -> dict:
        """The hints as plain data, for :func:`widgets.grading.compare.choose_hint`."""
        return {"default": self.hint, "by_reason": [list(pair) for pair in self.hints]}


def _digest(grade_id: str, option: str) -> str:
    return hashlib.sha256(f"widgets:{grade_id}:{option.strip().upper()}".encode()).hexdigest()


def _plain(tree) -> Any:
    """Arrays to lists, NumPy scalars to floats: JSON-ready data."""
    if isinstance(tree, dict):
        return {str(k): _plain(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_plain(v) for v in tree]
    if isinstance(tree, (str, bool, int, float)) or tree is None:
        return tree
    return np.asarray(tree).tolist()


# --------------------------------------------------------------------------
# Not answered yet: stubs and stand-ins
# --------------------------------------------------------------------------

_EMPTY_OPS = {"RESUME", "NOP", "CACHE", "LOAD_CONST", "RETURN_VALUE", "RETURN_CONST"}
_RAISE_OPS = {"LOAD_GLOBAL", "PUSH_NULL", "PRECALL", "CALL", "RAISE_VARARGS"}


def is_stub(value) -> bool:
    """Whether `value` is a release stub: ``...``, or a function whose body does nothing.

    A body that does nothing holds only a docstring, ``...``, ``pass``, or
    ``raise NotImplementedError`` (nbgrader's own stub).
    """
    if value is Ellipsis:
        return True
    code = getattr(value, "__code__", None)
    if code is None:
        return False
    instructions = list(dis.get_instructions(code))
    ops = {i.opname for i in instructions}
    if any(i.argval is not None for i in instructions if i.opname in ("LOAD_CONST", "RETURN_CONST")):
        return False
    if ops <= _EMPTY_OPS:
        return True
    loaded = {i.argval for i in instructions if i.opname == "LOAD_GLOBAL"}
    return ops <= _EMPTY_OPS | _RAISE_OPS and "RAISE_VARARGS" in ops and loaded == {"NotImplementedError"}


# The stand-in placed under each name, by this process: a value is a stand-in
# only while the name still holds that very object.
_placed: dict[str, Any] = {}


def is_stand_in(name: str, value) -> bool:
    """Whether `value`, found under `name`, is the stand-in a check placed there."""
    return name in _placed and _placed[name] is value


def _unanswered(name: str, ns: dict) -> str | None:
    """How variable `name` lacks an answer in `ns` (``"undefined"``, ``"stand-in"``, ``"stub"``), or None."""
    if name not in ns:
        return "undefined"
    if is_stand_in(name, ns[name]):
        return "stand-in"
    if is_stub(ns[name]):
        return "stub"
    return None


def _names(names) -> str:
    """The names in backticks, as in ```a`, `b` and `c```."""
    quoted = [f"`{n}`" for n in names]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _not_ready(exercise: Exercise, ns: dict) -> NotAnswered | None:
    """Why `exercise` cannot be checked in `ns` yet, or None if it can."""
    lacking = {n: _unanswered(n, ns) for n in exercise.answers}
    if any(lacking.values()):
        parts = []
        for kind, one, many in (
            ("undefined", "define {} above", "define {} above"),
            ("stub", "{} is still the stub: write your answer above", "{} are still the stubs"),
            ("stand-in", "{} holds a stand-in, not your answer", "{} hold stand-ins, not your answer"),
        ):
            names = [n for n, k in lacking.items() if k == kind]
            if names:
                parts.append((many if len(names) > 1 else one).format(_names(names)))
        return NotAnswered("; ".join(parts))
    needed = [n for n in exercise.needs if _unanswered(n, ns)]
    if needed:
        owners = " and ".join(e.grade_id for e in EXERCISES.values() if set(needed) & set(e.answers))
        return NotAnswered(
            f"this check uses your {_names(needed)} from {owners}; answer those first", blocked=True
        )
    return None


def _place_stand_ins(exercise: Exercise, ns: dict) -> None:
    """Put the stand-in under each of the exercise's variables that is undefined or a stub."""
    if exercise.stand_in is None:
        return
    values = exercise.stand_in.make()
    for name in exercise.answers:
        if name not in ns or is_stub(ns[name]):
            ns[name] = _placed[name] = values[name]


@functools.lru_cache(maxsize=1)
def _stand_in_priors() -> inference.Priors:
    return inference.Priors(a=dist.Normal(0.0, 5.0), b=dist.Normal(0.0, 5.0), sigma=dist.HalfNormal(2.0))


def stand_in_model(x, y=None):
    """The stand-in for an unanswered model: the kit's regression with wider priors, not the answer."""
    inference.linear_regression(x, y, priors=_stand_in_priors())


STAND_IN_TRUTH = {"a": -1.0, "b": 1.0, "sigma": 0.5}  # deliberately not the lessons' true values


def _stand_in_line(x, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(size=np.shape(x))
    a, b, sigma = (STAND_IN_TRUTH[k] for k in ("a", "b", "sigma"))
    return (a * x + b + sigma * noise).astype(np.float32)


def _stand_in_data() -> dict:
    x = np.random.default_rng(20261126).uniform(-2.0, 2.0, 80).astype(np.float32)
    return {"x_data": x, "y_data": _stand_in_line(x, 1)}


_OTHER_TRUTH = "a = -1, b = 1, sigma = 0.5"


# --------------------------------------------------------------------------
# What the checks compute
# --------------------------------------------------------------------------


def _challenge_x(challenge: int) -> np.ndarray:
    # Inputs of the hidden check: at grading time `challenge` is drawn anew.
    return np.linspace(-3.0, 3.0, 9) + 0.01 * (challenge % 50)


def _model_draws(model, challenge: int) -> dict:
    draws = inference.prior_predictive(_challenge_x(challenge), num_samples=20, seed=challenge, model=model)
    return {k: draws[k] for k in ("a", "b", "sigma", "y") if k in draws}


def _exact_mean_and_mcse(x, y, name: str) -> dict:
    # The model's own answer, exactly (no sampler to compile). The student's
    # estimate from 4 x 1000 NUTS draws has a Monte Carlo error of about
    # sd / sqrt(ESS); ESS >= 1000 is conservative for this model (measured ~3500).
    mean, sd = inference.exact_posterior_moments(x, y)[name]
    return {"value": mean, "mcse": sd / np.sqrt(1000)}


def _choice(grade_id: str, answer: str, options: str, right: str, points: int, hint: str) -> Exercise:
    return Exercise(
        grade_id=grade_id,
        points=points,
        answers=(answer,),
        comparator="choice",
        hint=hint,
        extract=lambda ns, c: str(ns[answer]).strip().upper(),
        reference=lambda ns, c: {"options": list(options), "answer": str(ns[answer]).strip().upper()},
        digest=_digest(grade_id, right),
    )


TUTORIAL_TRUTH = {"a": 1.5, "b": -0.5, "sigma": 0.3, "n": 80, "x_range": [-2.0, 2.0]}
X_GRID = np.linspace(-2.0, 2.0, 50)


def _priors_share(ns, challenge):
    priors = ns["my_priors"]
    if not isinstance(priors, inference.Priors):
        raise ValueError("my_priors must be Priors(...), copied from the PriorPanel's code line")
    draws = inference.prior_predictive(X_GRID, priors=priors, num_samples=4000, seed=challenge)["y"]
    sd_a = float(np.sqrt(priors.a.variance))  # exact; inf for heavy tails
    return {"share": float(np.mean(np.abs(draws) > 5.0)), "draws": 4000, "sd_a": sd_a, "code": repr(priors)}


def _predictive_at_one(ns, challenge):
    # The lesson's own MCMC run (a locked cell), so no second sampler is compiled.
    result = inference.Fit.from_mcmc(ns["mcmc"], ns["x_data"], ns["y_data"])
    draws = inference.posterior_predictive(result, [1.0], seed=challenge)["y"][:, 0]
    return {"draws": draws, "probability": 0.95, "effective_draws": 1000}


def _share_outside_reference(challenge: int) -> dict:
    y = inference.prior_predictive(X_GRID, num_samples=20000, seed=challenge + 99)["y"]
    share = float(np.mean(np.abs(y) > 10))
    # The student's share comes from 1000 data sets whose 50 points are correlated:
    # count 1000 independent draws, which overstates the error a little.
    return {"value": share, "mcse": float(np.sqrt(share * (1 - share) / 1000))}


FIT_STEP = 100  # exercise l1-fit-panel: lower the draws per chain in steps of this many
FIT_START = 1000  # ... from the panel's default


def _fit_settings(ns, challenge):
    panel = ns["fit_settings"]
    if not all(hasattr(panel, k) for k in ("priors", "num_warmup", "num_samples", "num_chains", "seed")):
        raise ValueError("fit_settings must be the FitPanel's code line, FitPanel(...)")
    x, y = (np.asarray(ns[k], np.float32).tobytes() for k in ("x_data", "y_data"))
    settings = (panel.priors, panel.num_warmup)
    answer = {
        "num_samples": panel.num_samples,
        "num_warmup": panel.num_warmup,
        "num_chains": panel.num_chains,
        "priors": repr(panel.priors),
        "healthy": None,
        "lower": None,
    }
    if panel.num_samples <= FIT_START:  # larger fits are refused without running them
        answer["healthy"] = fits_without_warning(
            x, y, *settings, panel.num_samples, panel.num_chains, panel.seed
        )
        lower = panel.num_samples - FIT_STEP
        if lower >= 1:
            healthy = fits_without_warning(x, y, *settings, lower, panel.num_chains, panel.seed)
            answer["lower"] = {"num_samples": lower, "healthy": healthy}
    return answer


EXERCISES: dict[str, Exercise] = {
    e.grade_id: e
    for e in [
        # Lesson 1
        Exercise(
            grade_id="l1-model",
            points=2,
            answers=("my_model",),
            comparator="same_draws",
            hint="Sample 'a', 'b' and 'sigma' (in that order) from the tutorial's priors, then 'y' "
            "from a Normal centred on a*x + b with scale sigma, observed as y.",
            hints=(
                (
                    "expected the sample sites",
                    "Name the sample sites exactly 'a', 'b', 'sigma' and 'y' (the first argument of "
                    "numpyro.sample), and sample nothing else.",
                ),
                (
                    "draws of a differ",
                    "Look at `a`: sample it first, named 'a', from Normal(0, 2). The check draws from your "
                    "model and the lesson's with the same random key, so the order of the sites matters.",
                ),
                (
                    "draws of b differ",
                    "`a` is right; look at `b`: sample it second, named 'b', from Normal(0, 2).",
                ),
                (
                    "draws of sigma differ",
                    "`a` and `b` are right; look at `sigma`: sample it third, named 'sigma', from "
                    "HalfNormal(1) (scale 1).",
                ),
                (
                    "draws of y differ",
                    "`a`, `b` and `sigma` are right; look at `y`: a Normal centred on a * x + b with scale "
                    "sigma, observed with obs=y.",
                ),
                ("has shape", "Draw `y` once for each value of `x`: `y` must have the shape of `x`."),
            ),
            extract=lambda ns, c: _model_draws(ns["my_model"], c),
            reference=lambda ns, c: _model_draws(inference.linear_regression, c),
            stand_in=StandIn(
                lambda: {"my_model": stand_in_model},
                "the kit's regression model with wider priors (a, b ~ Normal(0, 5), "
                "sigma ~ HalfNormal(2)), not the model asked for",
            ),
            fresh_draws=True,
        ),
        Exercise(
            grade_id="l1-data",
            points=1,
            answers=("x_data", "y_data"),
            comparator="regression_data",
            hint="Use n = 80 points with x uniform on [-2, 2], and y = a_true*x + b_true plus "
            "sigma_true times standard normal noise.",
            hints=(
                ("must each hold", "Make n = 80 values of each: x_data and y_data have shape (n,)."),
                ("x must lie in", "Draw x uniformly between minval=-2.0 and maxval=2.0."),
                (
                    "not centred on the true line",
                    "y must scatter around a_true * x_data + b_true: check the slope, the intercept, "
                    "and which one multiplies x.",
                ),
                (
                    "right spread",
                    "The noise must have scale sigma_true: multiply the standard normal draws "
                    "jr.normal(kn, (n,)) by sigma_true.",
                ),
            ),
            extract=lambda ns, c: {"x": ns["x_data"], "y": ns["y_data"]},
            reference=lambda ns, c: TUTORIAL_TRUTH,
            stand_in=StandIn(
                _stand_in_data, f"80 points from other true values ({_OTHER_TRUTH}), not the data asked for"
            ),
        ),
        Exercise(
            grade_id="l1-posterior-mean",
            points=2,
            answers=("posterior_mean_a",),
            comparator="within_mcse",
            hint="Average the posterior draws of a over all chains and draws (the pooled `posterior`).",
            extract=lambda ns, c: {"value": float(np.asarray(ns["posterior_mean_a"]))},
            reference=lambda ns, c: _exact_mean_and_mcse(ns["x_data"], ns["y_data"], "a"),
            needs=("my_model", "x_data", "y_data"),
        ),
        _choice(
            "l1-rhat",
            "answer_rhat",
            "ABCD",
            "B",
            1,
            "R-hat compares the variance between chains with the variance within them.",
        ),
        _choice(
            "l1-ess",
            "answer_ess",
            "ABCD",
            "B",
            1,
            "Which column of the summary accounts for the correlation between draws?",
        ),
        Exercise(
            grade_id="l1-fit-panel",
            points=2,
            answers=("fit_settings",),
            comparator="smallest_healthy",
            hint=f"Start at {FIT_START} samples, lower them in steps of {FIT_STEP} and press Fit each "
            "time; keep the last number before the verdict warns.",
            hints=(
                (
                    "still warns",
                    f"Go back up {FIT_STEP}: the answer is the last number of samples before the "
                    "verdict warned.",
                ),
                (
                    "also fit without a warning",
                    f"Keep lowering in steps of {FIT_STEP} until the verdict warns; the answer is the "
                    "number just before that.",
                ),
                (
                    "keep",
                    "Change only samples in the panel: leave warmup, chains and the priors as they are.",
                ),
                ("start at", f"Start from {FIT_START} samples per chain and go down in steps of {FIT_STEP}."),
            ),
            extract=_fit_settings,
            reference=lambda ns, c: {
                "step": FIT_STEP,
                "max_samples": FIT_START,
                "num_warmup": 500,
                "num_chains": 4,
                "priors": repr(inference.Priors()),
            },
        ),
        # Lesson 2
        Exercise(
            grade_id="l2-fixed-params",
            points=2,
            answers=("y_fixed",),
            comparator="noise_is_standard_normal",
            hint="Pass params={'a': ..., 'b': ..., 'sigma': ...} and num_samples=4 to Predictive, "
            "then call it with x=x_grid and take the 'y' site.",
            hints=(
                ("has shape", "Ask Predictive for num_samples=4 and take the 'y' site at x=x_grid: (4, 50)."),
                (
                    "do not follow the model",
                    "Fix a, b and sigma at a_true, b_true and sigma_true with params={...}: then "
                    "Predictive draws only y.",
                ),
            ),
            extract=lambda ns, c: {"y": ns["y_fixed"]},
            reference=lambda ns, c: {
                "x": X_GRID.tolist(),
                "shape": [4, 50],
                "a": 1.5,
                "b": -0.5,
                "sigma": 0.3,
            },
            stand_in=StandIn(
                lambda: {"y_fixed": np.stack([_stand_in_line(X_GRID, seed) for seed in range(4)])},
                f"4 data sets at x_grid from other parameters ({_OTHER_TRUTH}), not the true ones",
            ),
        ),
        Exercise(
            grade_id="l2-prior-share",
            points=1,
            answers=("share_outside",),
            comparator="within_mcse",
            hint="Count the prior predictive y values with |y| > 10 and divide by how many there are.",
            extract=lambda ns, c: {"value": float(ns["share_outside"])},
            reference=lambda ns, c: _share_outside_reference(c),
            fresh_draws=True,
        ),
        Exercise(
            grade_id="l2-priors",
            points=2,
            answers=("my_priors",),
            comparator="share_at_most",
            hint="Narrow the priors on b and sigma first; the slope's prior must keep an sd of at least 1.",
            hints=(
                (
                    "too narrow",
                    "The slope's prior must keep an sd of at least 1: narrow the priors on b and sigma "
                    "instead.",
                ),
            ),
            extract=_priors_share,
            reference=lambda ns, c: {"limit": 0.05, "min_sd_a": 1.0},
            fresh_draws=True,
        ),
        Exercise(
            grade_id="l2-interval",
            points=2,
            answers=("interval_95",),
            comparator="coverage",
            hint="Take the 2.5% and 97.5% percentiles of the posterior predictive draws of y at x = 1.",
            hints=(("lower end must be below", "Give (lower, upper): the 2.5% percentile comes first."),),
            extract=lambda ns, c: {
                "lower": float(ns["interval_95"][0]),
                "upper": float(ns["interval_95"][1]),
            },
            reference=_predictive_at_one,
            fresh_draws=True,
        ),
        _choice(
            "l2-ppc",
            "answer_ppc",
            "ABCD",
            "B",
            1,
            "The p-value is the share of replicated data sets whose statistic is at least the observed one.",
        ),
        _choice(
            "l2-stale", "answer_stale", "ABCD", "B", 1, "Which inputs did the posterior you have depend on?"
        ),
    ]
}


def answer_data(grade_id: str, namespace: dict, challenge: int = 0) -> Any:
    """The answer to exercise `grade_id` in `namespace`, as plain data.

    Raises
    ------
    NotAnswered
        If the answer is undefined, the stub, a stand-in, raises
        ``NotImplementedError``, or needs another exercise's open answer.
    """
    exercise = EXERCISES[grade_id]
    not_ready = _not_ready(exercise, namespace)
    if not_ready:
        raise not_ready
    try:
        return _plain(exercise.extract(namespace, challenge))
    except NotImplementedError as err:
        raise NotAnswered("the answer raises NotImplementedError, the stub: write your answer") from err


def reference_data(grade_id: str, namespace: dict, challenge: int = 0) -> Any:
    """The reference for exercise `grade_id`, computed with the kit in `namespace`."""
    return _plain(EXERCISES[grade_id].reference(namespace, challenge))


def _notebook_namespace() -> dict:
    import __main__

    return vars(__main__)


def reference_and_hint(grade_id: str, namespace: dict, challenge: int = 0) -> dict:
    """What the grader takes from a run of the source lesson for exercise `grade_id`."""
    exercise = EXERCISES[grade_id]
    return {
        "reference": {
            "comparator": exercise.comparator,
            "data": reference_data(grade_id, namespace, challenge),
        },
        "hints": exercise.hint_data(),
    }


# --------------------------------------------------------------------------
# Feedback in the notebook
# --------------------------------------------------------------------------

_TITLES = {
    "correct": "Correct",
    "wrong": "Not yet",
    "open": "Not answered yet",
    "blocked": "Not checked yet",
}
_COLOURS = {  # JupyterLab's theme colours, so the box reads in light and dark themes
    "correct": "var(--jp-success-color1, #388e3c)",
    "wrong": "var(--jp-warn-color1, #f57c00)",
    "open": "var(--jp-info-color1, #0288d1)",
    "blocked": "var(--jp-info-color1, #0288d1)",
}
_BOX = (
    "border-left: 4px solid {colour}; padding: 4px 10px; margin: 2px 0; "
    "background: var(--jp-layout-color2, transparent); color: var(--jp-content-font-color1, inherit); "
    "font-family: var(--jp-content-font-family, sans-serif); "
    "font-size: var(--jp-content-font-size1, 14px); line-height: 1.5"
)
_QUIET = "color: var(--jp-content-font-color2, inherit)"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _html(text: str) -> str:
    """Escape `text` for HTML, with `name` in backticks as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _points(n: int) -> str:
    return f"{n} point{'s' * (n != 1)}"


@dataclasses.dataclass(frozen=True, repr=False)
class Feedback:
    """What a check found, for the student.

    A notebook shows it as a small box in the theme's colours (HTML). Its
    plain-text value is the points earned, a number, because that is what
    nbgrader reads from a grade cell's last output as partial credit;
    ``str(feedback)`` is the feedback in words.

    Attributes
    ----------
    grade_id : str
        The exercise.
    points, max_points : int
        Points earned, and what the exercise is worth.
    state : {"correct", "wrong", "open", "blocked"}
        Right; answered but not right (or it raised); not answered yet; not
        checked yet because an answer it needs is open.
    reason : str
        What the check found.
    hint : str
        What to try next, or empty.
    stand_in : str
        What now stands in for the unanswered variables, or empty.
    note : str
        What grading will do again.
    """

    grade_id: str
    points: int
    max_points: int
    state: str
    reason: str = ""
    hint: str = ""
    stand_in: str = ""
    note: str = ""

    @property
    def passed(self) -> bool:
        """Whether the answer earned its points."""
        return self.state == "correct"

    def __repr__(self) -> str:
        return str(self.points)

    def _lines(self) -> list[tuple[str, str, bool]]:
        """``(label, sentence, quiet)`` for each line under the title."""
        # A stand-in's own sentence says all the reason would.
        shown = self.reason and not self.passed and not (self.state == "open" and self.stand_in)
        lines = [("", self.reason, False)] if shown else []
        lines += [("Hint:", self.hint, False)] if self.hint else []
        lines += [("", self.stand_in, False)] if self.stand_in else []
        lines += [("", self.note, True)] if self.note else []
        return [(label, _sentence(text), quiet) for label, text, quiet in lines]

    def __str__(self) -> str:
        head = f"[{self.grade_id}] {_TITLES[self.state]}: {self.points} of {_points(self.max_points)}."
        return " ".join([head] + [f"{label} {text}".strip() for label, text, _ in self._lines()])

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.state]
        head = (
            f"<strong>{_TITLES[self.state]}</strong> · {self.points} of {_points(self.max_points)} "
            f'<span style="{_QUIET}">({html.escape(self.grade_id)})</span>'
        )
        body = "".join(
            (f'<div style="{_QUIET}">' if quiet else "<div>")
            + (f"<strong>{label}</strong> " if label else "")
            + f"{_html(text)}</div>"
            for label, text, quiet in self._lines()
        )
        box = _BOX.format(colour=colour)
        return f'<div class="widgets-feedback" style="{box}"><div>{head}</div>{body}</div>'


@dataclasses.dataclass(frozen=True, repr=False)
class Summary:
    """A lesson's provisional score, exercise by exercise.

    Shown as a table in a notebook; ``repr`` is the same as plain text.

    Attributes
    ----------
    name : str
        The lesson.
    rows : tuple of (str, int, int, str)
        ``(grade_id, points earned, points possible, state)``; state as in
        :class:`Feedback`, or ``"unchecked"`` if its check has not run.
    redrawn : tuple of str
        Exercises the grader checks again with new random draws.
    """

    name: str
    rows: tuple[tuple[str, int, int, str], ...]
    redrawn: tuple[str, ...] = ()

    @property
    def earned(self) -> int:
        """Points earned so far."""
        return sum(r[1] for r in self.rows)

    @property
    def possible(self) -> int:
        """Points the lesson is worth."""
        return sum(r[2] for r in self.rows)

    def _state(self, state: str) -> str:
        return "check not run yet" if state == "unchecked" else _TITLES[state].lower()

    def _note(self) -> str:
        again = f", and checks {', '.join(self.redrawn)} with new random draws" if self.redrawn else ""
        return f"Provisional: grading runs your notebook again from the top in a fresh kernel{again}."

    def __repr__(self) -> str:
        lines = [f"Lesson {self.name}: provisional score {self.earned} of {_points(self.possible)}"]
        lines += [f"  {g:<20} {e} / {m}  {self._state(s)}" for g, e, m, s in self.rows]
        return "\n".join(lines + [self._note()])

    def _repr_html_(self) -> str:
        cell = "padding: 2px 12px 2px 0; text-align: left"
        rows = "".join(
            f'<tr><td style="{cell}"><code>{html.escape(g)}</code></td><td style="{cell}">{e} / {m}</td>'
            f'<td style="{cell}; border-left: 4px solid {_COLOURS.get(s, "transparent")}; padding-left: 6px">'
            f"{self._state(s)}</td></tr>"
            for g, e, m, s in self.rows
        )
        return (
            f'<div class="widgets-summary" style="{_BOX.format(colour="var(--jp-border-color1, #bdbdbd)")}">'
            f"<div><strong>Lesson {html.escape(self.name)}: provisional score {self.earned} of "
            f"{_points(self.possible)}</strong></div>"
            f'<table style="border-collapse: collapse; margin: 4px 0; color: inherit">{rows}</table>'
            f'<div style="{_QUIET}">{html.escape(self._note())}</div></div>'
        )


class Lesson:
    """Instant feedback and a running score for one lesson's exercises.

    The score here is provisional: the grader re-runs every check, and hidden
    ones, in a fresh kernel and decides outside of it.
    """

    def __init__(self, name: str):
        self.name = name
        self.ids = [g for g in EXERCISES if g.startswith(name + "-")]
        self.earned: dict[str, int] = {}
        self.states: dict[str, str] = {}

    def _judge(self, exercise: Exercise, ns: dict, challenge: int) -> tuple[str, str]:
        """``(state, reason)`` of the answer in `ns`; never raises for a student's bug."""
        try:
            answer = answer_data(exercise.grade_id, ns, challenge)
            if exercise.digest:
                right = _digest(exercise.grade_id, str(answer)) == exercise.digest
                reference = {"options": list("ABCD"), "answer": answer if right else ""}
            else:
                reference = reference_data(exercise.grade_id, ns, challenge)
            passed, reason = verdict(exercise.comparator, answer, reference)
        except NotAnswered as err:
            return ("blocked" if err.blocked else "open"), err.detail
        except Exception as err:  # noqa: BLE001 - a student's bug is feedback, not a crash
            return "wrong", f"your answer raised {error_text(err)}"
        return ("correct" if passed else "wrong"), reason

    def check(self, grade_id: str, namespace: dict | None = None, *, challenge: int = 0) -> Feedback:
        """Check the answer to `grade_id` now, record the points, and return the feedback.

        If the answer is not there yet and later cells need it, a stand-in
        takes its place (see the module's docstring), and the feedback says so.

        Parameters
        ----------
        grade_id : str
            Which exercise.
        namespace : dict, optional
            Where the answer variables live; the notebook's globals by default.
        challenge : int
            Seed of the check's own inputs and draws.

        Returns
        -------
        Feedback
            Shown by the notebook; its plain-text value is the points earned.
        """
        ns = _notebook_namespace() if namespace is None else namespace
        exercise = EXERCISES[grade_id]
        _place_stand_ins(exercise, ns)
        state, reason = self._judge(exercise, ns, challenge)
        earned = exercise.points if state == "correct" else 0
        self.earned[grade_id], self.states[grade_id] = earned, state
        standing_in = [n for n in exercise.answers if n in ns and is_stand_in(n, ns[n])]
        stand_in = ""
        if standing_in:
            verb = "hold" if len(standing_in) > 1 else "holds"
            stand_in = (
                f"So that the rest of the lesson runs, {_names(standing_in)} now {verb} a stand-in: "
                f"{exercise.stand_in.says}. A stand-in earns no points; answer above, then run the cells "
                "from there again"
            )
        note = ""
        if state == "correct":
            again = "checks this with new random draws" if exercise.fresh_draws else "checks this again"
            note = f"Provisional: grading runs your notebook again in a fresh kernel and {again}"
        hint = choose_hint(exercise.hint_data(), reason) if state == "wrong" else ""
        return Feedback(grade_id, earned, exercise.points, state, reason, hint, stand_in, note)

    def assert_correct(self, grade_id: str, namespace: dict | None = None, *, challenge: int = 0) -> None:
        """Raise AssertionError unless the answer passes with these inputs (a hidden test).

        Like :meth:`check`, it first puts stand-ins in place of an unanswered
        answer that later cells need. Lets nbgrader's own autograder use the
        lessons as they are; this kit's grader decides from the answer's data
        instead, outside the kernel.
        """
        ns = _notebook_namespace() if namespace is None else namespace
        exercise = EXERCISES[grade_id]
        _place_stand_ins(exercise, ns)
        state, reason = self._judge(exercise, ns, challenge)
        said = {"open": NOT_ANSWERED, "blocked": "not checked yet"}.get(state, "a hidden check failed")
        assert state == "correct", f"{grade_id}: {said} ({reason})"

    def summary(self) -> Summary:
        """The points so far, exercise by exercise (shown as a table)."""
        rows = tuple(
            (g, self.earned.get(g, 0), EXERCISES[g].points, self.states.get(g, "unchecked")) for g in self.ids
        )
        return Summary(self.name, rows, tuple(g for g in self.ids if EXERCISES[g].fresh_draws))
