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
import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from widgets import inference
from widgets.checks.fits import fits_without_warning
from widgets.grading.compare import choose_hint, error_text, verdict

from widgets.exercises.answers import NOT_ANSWERED, NotAnswered, is_stand_in, is_stub, place
from widgets.exercises.answers import names as _names
from widgets.exercises.answers import unanswered as _unanswered
from widgets.exercises.feedback import Feedback
from widgets.exercises.stand_ins import StandIn, wider_regression


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
            place(name, values[name], ns)


stand_in_model = wider_regression


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


def _judge(exercise: Exercise, ns: dict, challenge: int) -> tuple[str, str]:
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


def check(lesson, grade_id: str, namespace: dict | None = None, *, challenge: int = 0) -> Feedback:
    """Check exercise `grade_id` of the table for `lesson`, as :meth:`widgets.exercises.Lesson.check`."""
    ns = _notebook_namespace() if namespace is None else namespace
    exercise = EXERCISES[grade_id]
    _place_stand_ins(exercise, ns)
    state, reason = _judge(exercise, ns, challenge)
    earned = exercise.points if state == "correct" else 0
    lesson.earned[grade_id], lesson.states[grade_id] = earned, state
    lesson.max_points[grade_id], lesson.fresh[grade_id] = exercise.points, exercise.fresh_draws
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


def assert_correct(lesson, grade_id: str, namespace: dict | None = None, *, challenge: int = 0) -> None:
    """Raise AssertionError unless the answer passes with these inputs (a hidden test)."""
    ns = _notebook_namespace() if namespace is None else namespace
    exercise = EXERCISES[grade_id]
    _place_stand_ins(exercise, ns)
    state, reason = _judge(exercise, ns, challenge)
    said = {"open": NOT_ANSWERED, "blocked": "not checked yet"}.get(state, "a hidden check failed")
    assert state == "correct", f"{grade_id}: {said} ({reason})"


def listed(name: str) -> list[tuple[str, int]]:
    """``(grade_id, points)`` of the table's exercises of lesson `name`."""
    return [(g, e.points) for g, e in EXERCISES.items() if g.startswith(name + "-")]
