"""A lesson's exercises, declared in its own test cells: check an answer, show feedback, keep the score.

A test cell is one call::

    lesson.check("l1-rhat", "answer_rhat", one_of("ABCD"),
                 hint="R-hat compares the variance between chains with the variance within them.")

naming the exercise (its nbgrader grade_id), the answer variables (a name, or
a list of names), a check from :mod:`widgets.checks`, and the hints. Points are
read from the test cell's nbgrader metadata (:mod:`.context`). The check's
value is a :class:`~widgets.exercises.feedback.Feedback` whose plain text is the
points earned, 0 unless right, which is what nbgrader reads as the cell's
credit: a blank or wrong notebook fails nbgrader's Validate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import os
import warnings
from typing import Any

from widgets.checks import Check, Context, Deferred, one_of
from widgets.checks._check import plain, takes_seed
from widgets.exercises import answers as _answers
from widgets.exercises import context
from widgets.exercises.feedback import DisplayedFeedback, Feedback, Summary
from widgets.exercises.stand_ins import StandIn
from widgets.grading.compare import choose_hint, error_text, verdict


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise as its test cell declares it.

    Attributes
    ----------
    grade_id : str
        The nbgrader ``grade_id`` of its test cell.
    answers : tuple of str
        The notebook variables that hold the answer.
    check : Check
        What decides, from :mod:`widgets.checks`.
    hint : str
        Shown when the answer is not right and no other hint fits; never gives the answer away.
    hints : tuple of (str, str)
        ``(reason fragment, hint)``: the hint when the check's reason holds the fragment
        (before the check's own hints).
    stand_in : StandIn or None
        What runs in place of the answers while they are open, so that later cells run.
    needs : tuple of str
        Other exercises' answer variables the check uses: while one is open, this one is not checked.
    """

    grade_id: str
    answers: tuple[str, ...]
    check: Check
    hint: str = ""
    hints: tuple[tuple[str, str], ...] = ()
    stand_in: StandIn | None = None
    needs: tuple[str, ...] = ()

    def hint_data(self) -> dict:
        """The hints as plain data, for :func:`widgets.grading.compare.choose_hint`."""
        pairs = [list(p) for p in self.hints] + [list(p) for p in self.check.hint_table()]
        return {"default": self.hint, "by_reason": pairs}

    def value(self, ns: dict):
        """The answer: the one variable's value, or a tuple of the variables' values."""
        values = tuple(ns[n] for n in self.answers)
        return values[0] if len(values) == 1 else values


# This kernel's declared exercises, and who owns each answer variable (to name
# the exercise an open answer belongs to).
DECLARED: dict[str, Exercise] = {}
OWNERS: dict[str, str] = {}
_RUNNING: dict = {"grade_id": None, "namespace": {}}  # the check running now, for lazy references


@dataclasses.dataclass(frozen=True)
class Judged:
    """What judging an answer found: state, reason, and both halves' plain data (None if not computed)."""

    state: str
    reason: str
    answer: Any = None
    reference: Any = None


def _with_key(check: Check, exercise: Exercise, ns: dict) -> Check:
    """A multiple-choice check given its key or digest from the notebook, if it has neither."""
    if not isinstance(check, one_of) or check.key is not None or check.digest is not None:
        return check
    return dataclasses.replace(check, **context.choice_key(exercise.grade_id, exercise.answers[0], ns))


def judge(exercise: Exercise, ns: dict, challenge: int) -> Judged:
    """Judge the answer in `ns`: state, reason and both halves' data; never raises for a student's bug."""
    missing = _answers.not_ready(exercise.answers, exercise.needs, ns, OWNERS)
    if missing:
        return Judged("blocked" if missing.blocked else "open", missing.detail)
    ctx = Context(challenge=challenge, namespace=ns)
    check = _with_key(exercise.check, exercise, ns)
    value = exercise.value(ns)
    try:
        answer = plain(check.answer(value, ctx))
    except NotImplementedError:
        return Judged("open", _answers.STUB_RAISES)
    except Exception as err:  # noqa: BLE001 - a student's bug is feedback, not a crash
        return Judged("wrong", f"your answer raised {error_text(err)}")
    try:
        reference = plain(check.reference_for(value, ctx))
    except Deferred as err:
        return Judged("deferred", str(err) or "answered; checked when graded", answer)
    passed, reason = verdict(check.verdict, answer, reference)
    return Judged("correct" if passed else "wrong", reason, answer, reference)


class LazyReference:
    """A reference defined in the lesson's ``<notebook stem>_reference.py``, loaded when a check runs.

    The module lives beside the source lesson and is never released; where it
    is absent (a student's copy) the check is deferred to grading. If the
    name is a function, it is called (with ``seed=`` if it takes one).
    """

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"lesson.reference({self.name!r})"

    def __call__(self, seed: int = 0):
        """The reference's value now; raises :class:`~widgets.checks.Deferred` where the module is absent."""
        grade_id, ns = _RUNNING["grade_id"], _RUNNING["namespace"]
        path = context.notebook_path(grade_id, ns)
        stem = path.stem if path else None
        folder = context.source_folder(grade_id, ns)
        module_path = folder / f"{stem}_reference.py" if stem else None
        if module_path is None or not module_path.is_file():
            raise Deferred("answered; checked when graded")
        spec = importlib.util.spec_from_file_location(f"{stem}_reference".replace("-", "_"), module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        value = getattr(module, self.name)
        if callable(value):
            return value(seed=seed) if takes_seed(value) else value()
        return value


def _notebook_namespace() -> dict:
    import __main__

    return vars(__main__)


def _stand_in_text(exercise: Exercise, ns: dict) -> str:
    standing_in = [n for n in exercise.answers if n in ns and _answers.is_stand_in(n, ns[n])]
    if not standing_in:
        return ""
    verb = "hold" if len(standing_in) > 1 else "holds"
    return (
        f"So that the rest of the lesson runs, {_answers.names(standing_in)} now {verb} a stand-in: "
        f"{exercise.stand_in.says}. A stand-in earns no points; answer above, then run the cells "
        "from there again"
    )


class Lesson:
    """Instant feedback and a running score for one lesson's exercises.

    The score here is provisional: grading runs the notebook again in a fresh
    kernel, checks with new random draws where a check is fresh, and decides
    outside of it.

    Parameters
    ----------
    name : str
        The lesson's name, for the summary's title.
    """

    def __init__(self, name: str):
        self.name = name
        self.earned: dict[str, int] = {}
        self.states: dict[str, str] = {}
        self.max_points: dict[str, int | None] = {}
        self.fresh: dict[str, bool] = {}

    def reference(self, name: str) -> LazyReference:
        """`name` from the lesson's ``<notebook stem>_reference.py``, loaded from the source when checked."""
        return LazyReference(name)

    def check(
        self,
        grade_id: str,
        answers=None,
        check: Check | None = None,
        *,
        hint: str = "",
        hints: dict | None = None,
        stand_in: StandIn | None = None,
        needs=(),
        namespace: dict | None = None,
        challenge: int | None = None,
    ) -> Feedback:
        """Check the answer to `grade_id` now, record the points, and return the feedback.

        If the answer is not there yet and later cells need it, the `stand_in`
        takes its place, and the feedback says so.

        Parameters
        ----------
        grade_id : str
            The test cell's nbgrader grade_id.
        answers : str or list of str
            The notebook variables holding the answer.
        check : Check
            What decides, from :mod:`widgets.checks`.
        hint : str
            The hint when no other fits.
        hints : dict, optional
            ``{reason fragment: hint}``, tried before the check's own hints.
        stand_in : StandIn, optional
            From :mod:`widgets.exercises.stand_ins`.
        needs : list of str
            Other exercises' answer variables the check uses.
        namespace : dict, optional
            Where the variables live; the notebook's globals by default.
        challenge : int, optional
            Seed of the check's own inputs; by default :func:`.context.challenge`.

        Returns
        -------
        Feedback
            Shown by the notebook; its plain-text value is the points earned.
        """
        if answers is None or check is None:
            raise TypeError(
                f"lesson.check({grade_id!r}, ...) needs the answer's variable name(s) and a check from "
                'widgets.checks, e.g. lesson.check("l3-mean", "mean_x", close(2.5, atol=0.01))'
            )
        ns = _notebook_namespace() if namespace is None else namespace
        exercise = Exercise(
            grade_id,
            (answers,) if isinstance(answers, str) else tuple(answers),
            check,
            hint,
            tuple((hints or {}).items()),
            stand_in,
            tuple(needs),
        )
        DECLARED[grade_id] = exercise
        _RUNNING.update(grade_id=grade_id, namespace=ns)
        OWNERS.update(dict.fromkeys(exercise.answers, grade_id))
        for name, value in (stand_in.values(exercise.answers) if stand_in else {}).items():
            if name not in ns or _answers.is_stub(ns[name]):
                _answers.place(name, value, ns)
        challenge = context.challenge() if challenge is None else challenge
        halves = context.grading_mode()
        # One stray line on stderr (a warning) would zero the cell under nbgrader.
        with warnings.catch_warnings(record=True), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("always")
            judged = judge(exercise, ns, challenge)
        self._record(exercise, judged, halves)
        max_points = context.points(grade_id, ns)
        passed = judged.state in ("correct", "deferred")
        earned = (max_points or 0) if passed else 0
        self.earned[grade_id], self.states[grade_id] = earned, judged.state
        self.max_points[grade_id], self.fresh[grade_id] = max_points, check.fresh
        note = ""
        if judged.state == "correct":
            again = "checks this with new random draws" if check.fresh else "checks this again"
            note = f"Provisional: grading runs your notebook again in a fresh kernel and {again}"
        elif judged.state == "deferred":
            note = "Provisional: grading runs your notebook again and checks this with the lesson's reference"
        hint_text = choose_hint(exercise.hint_data(), judged.reason) if judged.state == "wrong" else ""
        kind = DisplayedFeedback if max_points is None and passed else Feedback
        return kind(
            grade_id,
            earned,
            max_points,
            judged.state,
            judged.reason,
            hint_text,
            _stand_in_text(exercise, ns),
            note,
        )

    def _record(self, exercise: Exercise, judged: Judged, halves: str) -> None:
        if not os.environ.get("WIDGETS_RECORDS"):
            return
        entry = {
            "grade_id": exercise.grade_id,
            "code_sha256": context.code_sha256(context.cell_code()),
            "check": exercise.check.verdict,
            "state": judged.state,
            "detail": judged.reason,
            "fresh": exercise.check.fresh,
            "hints": exercise.hint_data(),
        }
        if halves != "references":
            entry["answer"] = judged.answer
        if halves != "answers":
            entry["reference"] = judged.reference
        context.record(entry)

    def summary(self) -> Summary:
        """The points so far, exercise by exercise (shown as a table)."""
        ns = _notebook_namespace()
        first = next(iter(self.states), None)
        path = context.notebook_path(first, ns)
        nb = context.read(path) if path else None
        if nb is not None and context.exercises(nb):
            listed = context.exercises(nb)
        else:
            listed = [(g, self.max_points.get(g)) for g in self.states]
        rows = tuple((g, self.earned.get(g, 0), m, self.states.get(g, "unchecked")) for g, m in listed)
        return Summary(self.name, rows, tuple(g for g, _ in listed if self.fresh.get(g)))
