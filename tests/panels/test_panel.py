"""The panel base: message and code, repr, initial state, guarded update, range boxes, bands."""

import numpy as np
import pytest
import traitlets as tr

from widgets import _ui, tutorial
from widgets._panel import Bands, Panel


class Ratio(Panel):
    """A toy panel: a ratio over a range, a guarded update, range boxes."""

    INPUTS = ("top", "span")

    top = tr.Float(1.0, help="The numerator.")
    span = tr.Tuple(tr.Float(), tr.Float(), default_value=(1.0, 2.0), help="A range.")
    value = tr.Float(help="The last good ratio.")

    def __init__(self, **kwargs):
        super().__init__()
        self.updates = 0
        row, self.low, self.high = self._range_row("span", "span", description="the range")
        self.children = [row, *self._footer(sliders=False)]
        self.observe(lambda _: self._update(), names=list(self.INPUTS))
        self._set_initial(kwargs)
        self._update()

    def _draw(self):
        self.updates += 1
        low, high = _ui.checked_range("span", self.span)
        if self.top == 0:
            raise ValueError("top must not be 0")
        self.value = self.top / (high - low)

    def _code(self):
        return f"Ratio(top={self.top:g}, span=({self.span[0]:g}, {self.span[1]:g}))"


def test_initial_state_is_set_with_one_update():
    """Do keyword arguments set the traits and the boxes, and draw once, not once per argument?"""
    panel = Ratio(top=3.0, span=(0.0, 6.0))
    assert (panel.value, panel.updates) == (0.5, 1)
    assert (panel.low.value, panel.high.value) == (0.0, 6.0)


def test_repr_and_code_line_are_the_code():
    """Is the panel's text form its code, and does the code follow the inputs?"""
    panel = Ratio()
    assert repr(panel) == panel.code == "Ratio(top=1, span=(1, 2))"
    panel.top = 2.0
    assert repr(panel) == "Ratio(top=2, span=(1, 2))"


def test_a_bad_value_keeps_the_last_good_state_and_says_why():
    """After a bad input: a message, the inputs, boxes, result and code put back; a good one clears it?"""
    panel = Ratio(top=2.0)
    panel.top = 0.0
    assert panel.message == "top must not be 0"
    assert (panel.top, panel.value, panel.code) == (2.0, 2.0, "Ratio(top=2, span=(1, 2))")
    panel.high.value = 0.0
    assert panel.message.startswith("span: the low end (1) must be below the high end (0)")
    assert (panel.span, panel.high.value, panel.value) == ((1.0, 2.0), 2.0, 2.0)
    panel.top = 4.0
    assert (panel.message, panel.value) == ("", 4.0)


def test_a_bad_initial_value_shows_a_message():
    """Does a bad keyword argument show why, with nothing earlier to go back to?"""
    panel = Ratio(top=0.0)
    assert panel.message == "top must not be 0" and panel.top == 0.0


def test_range_boxes_and_trait_stay_equal():
    """Does typing into a range box set the trait, and setting the trait fill the boxes?"""
    panel = Ratio()
    panel.low.value = -1.0
    assert panel.span == (-1.0, 2.0) and panel.value == pytest.approx(1 / 3)
    panel.span = (0.0, 4.0)
    assert (panel.low.value, panel.high.value) == (0.0, 4.0)


def test_bands_draw_the_bands_and_the_median():
    """Do the band marks show the 95% and 50% bands and the median, labelled by what was drawn?"""
    fig, scales = _ui.figure("t", "x", "y")
    bands = Bands(scales, "y_rep")
    assert [mark.labels for mark in bands.marks] == [["95% of y_rep"], ["50% of y_rep"], ["median y_rep"]]
    x = np.linspace(0.0, 1.0, tutorial.GRID_POINTS)
    values = {
        name: x + shift for shift, name in enumerate(["lower95", "lower50", "median", "upper50", "upper95"])
    }
    bands.show(x, values)
    np.testing.assert_array_equal(bands.band95.y, [values["lower95"], values["upper95"]])
    np.testing.assert_array_equal(bands.band50.y, [values["lower50"], values["upper50"]])
    np.testing.assert_array_equal(bands.median.y, values["median"])
    np.testing.assert_array_equal(bands.median.x, x)
