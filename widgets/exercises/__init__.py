"""Instant feedback on a lesson's exercises, declared in the lesson's own test cells.

A lesson's setup cell makes ``lesson = Lesson("l1")``; each test cell is one
``lesson.check(grade_id, answer names, check, hint=..., ...)`` call
(:meth:`Lesson.check`), with a check from :mod:`widgets.checks`. Points live
only in the test cell's nbgrader metadata. The package holds no lesson's
answers: references are the lesson's public values, lazy functions of them,
or a ``<lesson>_reference.py`` beside the source lesson (:meth:`Lesson.reference`);
multiple-choice keys come from the source's solution or, in a released
notebook, from a salted digest written by release.

An exercise is *not answered yet* while its variables are undefined, still
the release's stub (``...``, or a function with an empty body) or stand-ins
(:mod:`.stand_ins`): what a check puts in place of an unanswered answer that
later cells need, announced, never over what a student wrote, worth nothing.
"""

from widgets.exercises import stand_ins
from widgets.exercises.answers import NOT_ANSWERED, NotAnswered, is_stand_in, is_stub
from widgets.exercises.feedback import DisplayedFeedback, Feedback, Summary
from widgets.exercises.lesson import Exercise, Lesson

__all__ = [
    "NOT_ANSWERED",
    "DisplayedFeedback",
    "Exercise",
    "Feedback",
    "Lesson",
    "NotAnswered",
    "Summary",
    "is_stand_in",
    "is_stub",
    "stand_ins",
]
