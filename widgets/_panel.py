"""Panel: what every panel repeats, written once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui


class Panel(ipw.VBox):
    """Base of the kit's panels: message and code, repr, initial state, the guarded update.

    Cross-trait rules are a **guarded update** (not ``@validate``): a subclass
    computes and draws in :meth:`_draw`; :meth:`_update` runs it inside
    :meth:`widgets._ui.MessageArea.guard`. When it raises, the message area
    says why, the marks stay as they were, and the traits named in `INPUTS`
    go back to their values at the last successful update (with the controls
    tied to them); when it succeeds, those values are saved as the last good
    state and an error message is cleared. Either way the code line is then
    rewritten from :meth:`_code`. (A bound on one trait alone may be a
    validator that keeps the old value and says why in the message area, as
    FitPanel's run lengths are, so that a refused value never lands.)

    One re-entrancy mechanism: while :meth:`_holding` is entered, :meth:`_update`
    does nothing. A panel holds while it sets its initial keyword state, while
    the inputs are put back after a bad one, and while it sets traits or
    controls that would otherwise each trigger an update of their own.

    Subclasses end their children with :meth:`_footer`: the message area
    (``self._message``) and the code line (``self._code_line``).

    Parameters
    ----------
    code_label : str
        The label above the code line.

    Attributes
    ----------
    code : str
        The panel's state as one line of code, for an answer cell.
    message : str
        The message shown; empty when all is well.
    """

    INPUTS: tuple[str, ...] = ()
    """The input traits kept at their last good values."""

    code = tr.Unicode(help="The panel's state as one line of code.")
    message = tr.Unicode(help="The message shown; empty when all is well.")

    def __init__(self, *, code_label: str = "As code (copy into a cell):"):
        super().__init__()
        self._holds = 0
        self._last_good = _ui.LastGood(self, self.INPUTS)
        self._message = _ui.MessageArea()
        self._code_line = _ui.CodeLine(code_label)
        # The message and code traits mirror what the panel shows.
        self._message.observe(lambda _: setattr(self, "message", self._message.text), names="value")
        self.observe(lambda change: setattr(self._code_line, "code", change["new"]), names="code")

    def __repr__(self) -> str:
        # What a notebook shows as text (and nbval compares): the panel as code.
        return self.code

    # -- state ---------------------------------------------------------------

    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        """Within this block, updates are skipped (blocks may nest)."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1

    @property
    def _held(self) -> bool:
        return self._holds > 0

    def _set_initial(self, state: dict) -> None:
        """Set the initial keyword state, trait by trait, with no update in between."""
        with self._holding():
            for name, value in state.items():
                setattr(self, name, value)

    def _update(self, **options) -> None:
        """Draw the inputs as they are now, keeping the last good state if they are bad."""
        if self._held:
            return
        with self._message.guard(on_error=self._restore):
            self._draw(**options)
            self._last_good.save()
        self._show_code()

    def _draw(self, **options) -> None:
        """Compute from the inputs and draw; raise a ValueError saying what is wrong with them."""

    def _restore(self) -> None:
        """After a bad input: the inputs back to the last good state, without an update."""
        with self._holding():
            self._last_good.restore()

    def _code(self) -> str:
        """The panel's state as one line of code."""
        return ""

    def _show_code(self) -> None:
        self.code = self._code()

    # -- controls and marks --------------------------------------------------

    def _footer(self, *, sliders: bool = True) -> list[ipw.Widget]:
        """The last children of a panel: the message area, the code line and, with sliders, their names.

        A panel with sliders also collects garbage after long cells rather than
        on a slider move (:func:`widgets._ui.collect_after_long_cells`), and
        names its slider handles for screen readers (:func:`widgets._ui.slider_names`).
        """
        if not sliders:
            return [self._message, self._code_line]
        _ui.collect_after_long_cells()
        return [self._message, self._code_line, _ui.slider_names(self)]

    def _tie(self, **controls: ipw.Widget) -> None:
        """Tie each trait named here to its control's value, both ways (see :func:`widgets._ui.tie`)."""
        for trait, control in controls.items():
            _ui.tie(self, trait, control)

    def _range_row(self, trait: str, label: str, *, description: str = ""):
        """A row of two number boxes tied both ways to the range trait `trait`.

        Returns
        -------
        row : ipywidgets.HBox
            The labelled row.
        low, high : ipywidgets.FloatText
            The boxes for the low and the high end.
        """
        row, low, high = _ui.range_boxes(label, getattr(self, trait), description=description)
        for index, box in enumerate((low, high)):
            box.observe(lambda change, index=index: self._set_end(trait, index, change["new"]), names="value")

        def to_boxes(change):
            low.value, high.value = change["new"]

        self.observe(to_boxes, names=trait)
        return row, low, high

    def _set_end(self, trait: str, index: int, value: float) -> None:
        span = list(getattr(self, trait))
        span[index] = value
        setattr(self, trait, tuple(span))


class Bands:
    """The 50% and 95% bands and the median of predictive draws, as three marks.

    Parameters
    ----------
    scales : dict
        The figure's scales.
    what : str
        What the draws are (``"y"``, ``"y_rep"``): the marks' labels name it.
    """

    def __init__(self, scales, what: str):
        color = _ui.COLORS["band"]
        self.band95 = _ui.band(scales, color, opacity=0.18, label=f"95% of {what}")
        self.band50 = _ui.band(scales, color, opacity=0.35, label=f"50% of {what}")
        self.median = _ui.lines(scales, color, label=f"median {what}")

    @property
    def marks(self) -> list:
        """The 95% band, the 50% band and the median, in drawing order."""
        return [self.band95, self.band50, self.median]

    def show(self, x: np.ndarray, bands: dict[str, np.ndarray]) -> None:
        """Draw `bands` (from :func:`widgets.inference.predictive_bands`) over `x`."""
        _ui.set_data(self.band95, x=x, y=[bands["lower95"], bands["upper95"]])
        _ui.set_data(self.band50, x=x, y=[bands["lower50"], bands["upper50"]])
        _ui.set_data(self.median, x=x, y=bands["median"])
