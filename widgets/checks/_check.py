"""What every check shares: the context it runs in, its result, and its two halves.

A check holds its arguments. In the kernel it computes two pieces of plain,
JSON-ready data: the *answer* data from the student's value and the
*reference* data from the lesson's public values. The verdict of
:mod:`widgets.grading.compare` named by the check decides on the two, either
at once in the notebook (calling the check) or later in the grader's own
process, on the data alone (:meth:`Check.data`).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from widgets.grading.compare import error_text, verdict


class Deferred(Exception):
    """The reference cannot be computed here (e.g. a released notebook holds no key); grading will."""


@dataclasses.dataclass(frozen=True)
class Context:
    """Where a check runs.

    Attributes
    ----------
    challenge : int
        Seed of the check's own inputs and draws: 0 for instant feedback,
        drawn anew for each grading run of a check that is `fresh`.
    namespace : Mapping
        The notebook's variables, for references that need them.
    """

    challenge: int = 0
    namespace: Mapping = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Result:
    """What a check found.

    Attributes
    ----------
    passed : bool or None
        Whether the answer is right; None if the check was deferred.
    reason : str
        What the check found, in words; never the reference answer.
    hint : str
        The check's own hint for this reason, or empty.
    """

    passed: bool | None
    reason: str
    hint: str = ""


def plain(tree) -> Any:
    """`tree` as JSON-ready data: arrays to (nested) lists, NumPy scalars to Python numbers."""
    if isinstance(tree, Mapping):
        return {str(k): plain(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [plain(v) for v in tree]
    if isinstance(tree, (str, bool, int, float)) or tree is None:
        return tree
    return np.asarray(tree).tolist()


def takes_seed(value) -> bool:
    """Whether `value` is a callable with a ``seed`` parameter (a reference drawn anew per challenge)."""
    if not callable(value):
        return False
    try:
        return "seed" in inspect.signature(value).parameters
    except (TypeError, ValueError):
        return False


def resolve(value, ctx: Context):
    """`value` itself, or for a callable its value now (given ``seed=ctx.challenge`` if it asks)."""
    if not callable(value):
        return value
    return value(seed=ctx.challenge) if takes_seed(value) else value()


class Check:
    """A check of one answer: holds its arguments, computes answer and reference data, names its verdict.

    Subclasses set `verdict` and implement :meth:`answer` and :meth:`reference`.

    Attributes
    ----------
    verdict : str
        The function of :mod:`widgets.grading.compare` that decides.
    fresh : bool
        Whether grading runs the check with inputs or draws made anew.
    """

    verdict: ClassVar[str] = ""
    fresh: bool = False

    def answer(self, value, ctx: Context) -> Any:
        """The answer `value` as data for the verdict."""
        raise NotImplementedError

    def reference(self, ctx: Context) -> Any:
        """What the answer is compared with, as data for the verdict; may raise :class:`Deferred`."""
        raise NotImplementedError

    def hint_table(self) -> list[tuple[str, str]]:
        """The check's own hints, ``(reason fragment, hint)`` pairs: plain data the grader can choose from."""
        return []

    def hint(self, reason: str) -> str:
        """The check's own hint for a failure with `reason` (the first fragment it holds), or empty."""
        return next((hint for fragment, hint in self.hint_table() if fragment in reason), "")

    def reference_for(self, value, ctx: Context) -> Any:
        """The reference to compare answer `value` with: :meth:`reference`, unless the check needs the value.

        Multiple choice against a digest is the one check that needs it.
        """
        return self.reference(ctx)

    def data(self, value, ctx: Context | None = None) -> dict:
        """Everything the grader needs to decide, as JSON-ready data.

        Returns
        -------
        dict
            ``{"check": verdict name, "answer": data, "reference": data}``; decide
            with ``compare.verdict(d["check"], d["answer"], d["reference"])``.
        """
        ctx = ctx or Context()
        answer, reference = plain(self.answer(value, ctx)), plain(self.reference_for(value, ctx))
        return {"check": self.verdict, "answer": answer, "reference": reference}

    def __call__(self, value, ctx: Context | None = None) -> Result:
        """Check `value` now, for instant feedback; a bug in the answer is a failing result, not an error."""
        ctx = ctx or Context()
        try:
            answer = plain(self.answer(value, ctx))
        except Exception as err:  # noqa: BLE001 - a student's bug is feedback, not a crash
            return Result(False, f"your answer raised {error_text(err)}")
        try:
            reference = plain(self.reference_for(value, ctx))
        except Deferred as err:
            return Result(None, str(err) or "answered; checked when graded")
        passed, reason = verdict(self.verdict, answer, reference)
        return Result(passed, reason, "" if passed else self.hint(reason))
