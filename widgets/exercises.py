"""The lessons' graded exercises, and the instant feedback a student sees.

Each exercise names the notebook variable that holds the answer, how to take
that answer out of the kernel as plain data (``extract``), how the kit
computes the reference to compare it with (``reference``), and which
comparator of :mod:`widgets.grading.compare` decides. In the notebook,
:meth:`Lesson.check` runs all three at once for instant feedback. At grading
time the grader runs ``extract`` in the student's kernel and ``reference`` in
a run of the source lesson (with its solutions), and decides in its own
process: what a student's notebook does to this module cannot change a grade.

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
from widgets.grading.compare import verdict

HIDDEN_NOTE = "Hidden checks with other inputs run at grading time."


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    Attributes
    ----------
    grade_id : str
        The nbgrader ``grade_id`` of its test cell.
    points : int
        Points it is worth.
    answer : str
        The notebook variable that holds the student's answer.
    comparator : str
        Name of the function in :mod:`widgets.grading.compare` that decides.
    hint : str
        Shown when the answer is not right; it never gives the answer away.
    extract : callable
        ``extract(namespace, challenge)``: the answer as plain data.
    reference : callable
        ``reference(namespace, challenge)``: what the answer is compared with.
    digest : str
        For multiple choice: salted SHA-256 of the right option, for feedback.
    """

    grade_id: str
    points: int
    answer: str
    comparator: str
    hint: str
    extract: Callable[[dict, int], Any]
    reference: Callable[[dict, int], Any]
    digest: str = ""


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
        answer=answer,
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
    draws = inference.prior_predictive(X_GRID, priors, num_samples=4000, seed=challenge)["y"]
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


def _fit_settings(ns, challenge):
    panel = ns["fit_settings"]
    result = inference.fit(
        ns["x_data"],
        ns["y_data"],
        panel.priors,
        num_warmup=panel.num_warmup,
        num_samples=panel.num_samples,
        num_chains=panel.num_chains,
        seed=panel.seed,
    )
    d = result.diagnostics
    return {
        "num_samples": panel.num_samples,
        "divergences": d.divergences,
        "max_rhat": d.max_rhat,
        "min_ess_bulk": d.min_ess_bulk,
    }


EXERCISES: dict[str, Exercise] = {
    e.grade_id: e
    for e in [
        # Lesson 1
        Exercise(
            "l1-model",
            2,
            "my_model",
            "same_draws",
            "Sample 'a', 'b' and 'sigma' (in that order) from the tutorial's priors, then 'y' "
            "from a Normal centred on a*x + b with scale sigma, observed as y.",
            extract=lambda ns, c: _model_draws(ns["my_model"], c),
            reference=lambda ns, c: _model_draws(inference.linear_regression, c),
        ),
        Exercise(
            "l1-data",
            1,
            "y_data",
            "regression_data",
            "Use n = 80 points with x uniform on [-2, 2], and y = a_true*x + b_true plus "
            "sigma_true times standard normal noise.",
            extract=lambda ns, c: {"x": ns["x_data"], "y": ns["y_data"]},
            reference=lambda ns, c: TUTORIAL_TRUTH,
        ),
        Exercise(
            "l1-posterior-mean",
            2,
            "posterior_mean_a",
            "within_mcse",
            "Average the posterior draws of a over all chains and draws.",
            extract=lambda ns, c: {"value": float(np.asarray(ns["posterior_mean_a"]))},
            reference=lambda ns, c: _exact_mean_and_mcse(ns["x_data"], ns["y_data"], "a"),
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
            "l1-fit-panel",
            2,
            "fit_settings",
            "healthy_fit",
            "Lower num_samples step by step and press Fit until the warning appears; keep the "
            "smallest value without one (and at most 300).",
            extract=_fit_settings,
            reference=lambda ns, c: {"max_samples": 300},
        ),
        # Lesson 2
        Exercise(
            "l2-fixed-params",
            2,
            "y_fixed",
            "noise_is_standard_normal",
            "Pass params={'a': ..., 'b': ..., 'sigma': ...} and num_samples=4 to Predictive, "
            "then call it with x=x_grid and take the 'y' site.",
            extract=lambda ns, c: {"y": ns["y_fixed"]},
            reference=lambda ns, c: {
                "x": X_GRID.tolist(),
                "shape": [4, 50],
                "a": 1.5,
                "b": -0.5,
                "sigma": 0.3,
            },
        ),
        Exercise(
            "l2-prior-share",
            1,
            "share_outside",
            "within_mcse",
            "Count the prior predictive y values with |y| > 10 and divide by how many there are.",
            extract=lambda ns, c: {"value": float(ns["share_outside"])},
            reference=lambda ns, c: _share_outside_reference(c),
        ),
        Exercise(
            "l2-priors",
            2,
            "my_priors",
            "share_at_most",
            "Narrow the priors on b and sigma first; the slope's prior must keep an sd of at least 1.",
            extract=_priors_share,
            reference=lambda ns, c: {"limit": 0.05, "min_sd_a": 1.0},
        ),
        Exercise(
            "l2-interval",
            2,
            "interval_95",
            "coverage",
            "Take the 2.5% and 97.5% percentiles of the posterior predictive draws of y at x = 1.",
            extract=lambda ns, c: {
                "lower": float(ns["interval_95"][0]),
                "upper": float(ns["interval_95"][1]),
            },
            reference=_predictive_at_one,
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
    """The answer to exercise `grade_id` in `namespace`, as plain data."""
    return _plain(EXERCISES[grade_id].extract(namespace, challenge))


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
        "hint": exercise.hint,
    }


class Lesson:
    """Instant feedback and a running score for one lesson's exercises.

    The score here is provisional: the grader re-runs every check, and hidden
    ones, in a fresh kernel and decides outside of it.
    """

    def __init__(self, name: str):
        self.name = name
        self.ids = [g for g in EXERCISES if g.startswith(name + "-")]
        self.earned: dict[str, int] = {}

    def _passes(self, grade_id: str, ns: dict, challenge: int) -> tuple[bool, str]:
        exercise = EXERCISES[grade_id]
        if exercise.answer not in ns:
            return False, f"not answered yet: define `{exercise.answer}` above"
        try:
            answer = answer_data(grade_id, ns, challenge)
            if exercise.digest:
                right = _digest(grade_id, str(answer)) == exercise.digest
                reference = {"options": list("ABCD"), "answer": answer if right else ""}
                return verdict("choice", answer, reference)
            return verdict(exercise.comparator, answer, reference_data(grade_id, ns, challenge))
        except Exception as err:  # noqa: BLE001 - a student's bug is feedback, not a crash
            return False, f"your answer raised {type(err).__name__}: {err}"

    def check(self, grade_id: str, namespace: dict | None = None, *, challenge: int = 0) -> bool:
        """Check the answer to `grade_id` now, print feedback, and record the points.

        Parameters
        ----------
        grade_id : str
            Which exercise.
        namespace : dict, optional
            Where the answer variable lives; the notebook's globals by default.
        challenge : int
            Seed of the check's own inputs and draws.
        """
        ns = _notebook_namespace() if namespace is None else namespace
        exercise = EXERCISES[grade_id]
        points = f"{exercise.points} point{'s' * (exercise.points != 1)}"
        passed, reason = self._passes(grade_id, ns, challenge)
        if reason.startswith(("not answered", "your answer raised")):
            print(f"[{grade_id}] {reason[0].upper() + reason[1:]}.")
        self.earned[grade_id] = exercise.points if passed else 0
        if passed:
            print(f"[{grade_id}] Correct: {points}. {HIDDEN_NOTE}")
        else:
            print(f"[{grade_id}] Not yet (0 of {points}). Hint: {exercise.hint}")
        return passed

    def assert_correct(self, grade_id: str, namespace: dict | None = None, *, challenge: int = 0) -> None:
        """Raise AssertionError unless the answer passes with these inputs (a hidden test).

        Lets nbgrader's own autograder use the lessons as they are; this kit's
        grader decides from the answer's data instead, outside the kernel.
        """
        ns = _notebook_namespace() if namespace is None else namespace
        passed, _ = self._passes(grade_id, ns, challenge)
        assert passed, f"{grade_id}: a hidden check failed"

    def summary(self) -> None:
        """Print the points so far, exercise by exercise."""
        total = sum(EXERCISES[g].points for g in self.ids)
        print(f"Lesson {self.name}: provisional score {sum(self.earned.values())} of {total} points")
        for grade_id in self.ids:
            state = (
                "not checked"
                if grade_id not in self.earned
                else f"{self.earned[grade_id]} / {EXERCISES[grade_id].points}"
            )
            print(f"  {grade_id:<20} {state}")
        print(f"Provisional: your notebook is graded again in a fresh kernel. {HIDDEN_NOTE}")
