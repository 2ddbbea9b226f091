"""What a check shows the student: the feedback box, and the lesson's provisional summary."""

from __future__ import annotations

import dataclasses
import html
import re

_TITLES = {
    "correct": "Correct",
    "wrong": "Not yet",
    "open": "Not answered yet",
    "blocked": "Not checked yet",
    "deferred": "Answered; checked when graded",
}
_COLOURS = {  # JupyterLab's theme colours, so the box reads in light and dark themes
    "correct": "var(--jp-success-color1, #388e3c)",
    "wrong": "var(--jp-warn-color1, #f57c00)",
    "open": "var(--jp-info-color1, #0288d1)",
    "blocked": "var(--jp-info-color1, #0288d1)",
    "deferred": "var(--jp-info-color1, #0288d1)",
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


def _score(points: int, max_points: int | None) -> str:
    """``"2 of 2 points"``, or ``"2 points"`` when what the exercise is worth is unknown."""
    return _points(points) if max_points is None else f"{points} of {_points(max_points)}"


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
    points : int
        Points earned.
    max_points : int or None
        What the exercise is worth, from the notebook's nbgrader metadata; None
        if the notebook file was not found (see :class:`DisplayedFeedback`).
    state : {"correct", "wrong", "open", "blocked", "deferred"}
        Right; answered but not right (or it raised); not answered yet; not
        checked yet because an answer it needs is open; answered, and checked
        only when graded (its reference is not in a student's notebook).
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
    max_points: int | None
    state: str
    reason: str = ""
    hint: str = ""
    stand_in: str = ""
    note: str = ""

    @property
    def passed(self) -> bool:
        """Whether the answer earned its points (provisionally, if deferred)."""
        return self.state in ("correct", "deferred")

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
        head = f"[{self.grade_id}] {_TITLES[self.state]}: {_score(self.points, self.max_points)}."
        return " ".join([head] + [f"{label} {text}".strip() for label, text, _ in self._lines()])

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.state]
        head = (
            f"<strong>{_TITLES[self.state]}</strong> · {_score(self.points, self.max_points)} "
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


class DisplayedFeedback(Feedback):
    """Feedback on a passed check whose points are unknown: it displays itself and has no value.

    Where the notebook file cannot be found (e.g. Colab), the check cannot read
    the points from the cell's metadata. A cell whose output is only displayed
    gets full points from nbgrader, so a right answer still scores.
    """

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display({"text/plain": str(self), "text/html": self._repr_html_()}, raw=True)


@dataclasses.dataclass(frozen=True, repr=False)
class Summary:
    """A lesson's provisional score, exercise by exercise.

    Shown as a table in a notebook; ``repr`` is the same as plain text.

    Attributes
    ----------
    name : str
        The lesson.
    rows : tuple of (str, int, int or None, str)
        ``(grade_id, points earned, points possible or None if unknown, state)``; state as in
        :class:`Feedback`, or ``"unchecked"`` if its check has not run.
    redrawn : tuple of str
        Exercises the grader checks again with new random draws.
    """

    name: str
    rows: tuple[tuple[str, int, int | None, str], ...]
    redrawn: tuple[str, ...] = ()

    @property
    def earned(self) -> int:
        """Points earned so far."""
        return sum(r[1] for r in self.rows)

    @property
    def possible(self) -> int:
        """Points the lesson is worth."""
        return sum(r[2] or 0 for r in self.rows)

    def _state(self, state: str) -> str:
        return "check not run yet" if state == "unchecked" else _TITLES[state].lower()

    def _note(self) -> str:
        again = f", and checks {', '.join(self.redrawn)} with new random draws" if self.redrawn else ""
        return f"Provisional: grading runs your notebook again from the top in a fresh kernel{again}."

    def __repr__(self) -> str:
        lines = [f"Lesson {self.name}: provisional score {self.earned} of {_points(self.possible)}"]
        lines += [f"  {g:<20} {e} / {'?' if m is None else m}  {self._state(s)}" for g, e, m, s in self.rows]
        return "\n".join(lines + [self._note()])

    def _repr_html_(self) -> str:
        cell = "padding: 2px 12px 2px 0; text-align: left"
        rows = "".join(
            f'<tr><td style="{cell}"><code>{html.escape(g)}</code></td>'
            f'<td style="{cell}">{e} / {"?" if m is None else m}</td>'
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
