"""The shared panel helpers: messages, code lines, slider names, axis ranges and garbage collection."""

import html
import os
import subprocess
import sys

import bqplot as bq
import ipywidgets as ipw
import numpy as np

from widgets import _ui


def test_guard_shows_a_value_error_and_clears_on_success():
    """Does a ValueError inside guard() become the message, and the next success clear it?"""
    area = _ui.MessageArea()
    with area.guard():
        raise ValueError("scale must be > 0")
    assert area.text == "scale must be > 0" and area.level == "error"
    with area.guard():
        pass
    assert area.text == ""


def test_guard_names_an_unexpected_error_without_raising():
    """Is an unexpected exception shown with its type instead of escaping into the widget callback?"""
    area = _ui.MessageArea()
    with area.guard():
        raise ZeroDivisionError("division by zero")
    assert area.text == "Unexpected ZeroDivisionError: division by zero"


def test_message_is_escaped():
    """Is HTML in a message shown as text, not rendered?"""
    area = _ui.MessageArea()
    area.show("<b>x</b> < 0")
    assert "&lt;b&gt;" in area.value


def test_code_line_undoes_edits():
    """Does typing into the code line put back the panel's code?"""
    line = _ui.CodeLine()
    line.code = "Priors()"
    line._box.value = "something else"
    assert line._box.value == "Priors()"


def test_checked_range():
    """Does checked_range accept an increasing range and name the problem otherwise?"""
    assert _ui.checked_range("x range", (np.float32(-1), 2)) == (-1.0, 2.0)
    for span, words in (((2, 1), "must be below"), ((0, np.inf), "finite")):
        try:
            _ui.checked_range("x range", span)
        except ValueError as err:
            assert words in str(err) and str(err).startswith("x range")
        else:
            raise AssertionError("no error")


def test_a_long_cell_ends_with_a_full_collection():
    """In IPython, does a cell of 1 s or more end with a full garbage collection (not a slider move)?"""
    code = """
import gc
from IPython.core.interactiveshell import InteractiveShell
from widgets import _ui

shell = InteractiveShell.instance()
_ui.collect_after_long_cells()
_ui.collect_after_long_cells()  # registers its hooks once
full = lambda: gc.get_stats()[2]["collections"]
before = full()
shell.run_cell("import time; time.sleep(1.05)")
print(full() - before, len(shell.events.callbacks["post_run_cell"]))
"""
    env = {**os.environ, "WIDGETS_COMPILATION_CACHE": "off"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    collections, hooks = map(int, done.stdout.split()[-2:])
    assert collections >= 1 and hooks == 1


def test_slider_rounding_noise_is_no_move():
    """Is 1.0000000000000002 (noUiSlider's way back to 1.0) the same value, while a real step is a move?"""
    assert not _ui.moved({"old": 1.0, "new": 1.0000000000000002})
    assert _ui.moved({"old": 1.0, "new": 1.05}) and _ui.moved({"old": 1.0, "new": float("nan")})


def test_slider_names_script_names_handles_after_their_labels():
    """Does the hidden HTML carry a script, run on render, that labels every slider handle of the panel?"""
    panel = ipw.VBox()
    names = _ui.slider_names(panel)
    assert _ui.PANEL_CLASS in panel._dom_classes and names.layout.display == "none"
    script = html.unescape(names.value.split('onerror="', 1)[1].rsplit('"', 1)[0])
    assert "setAttribute('aria-label', label.textContent)" in script and "MutationObserver" in script


def test_round_out_sets_whole_steps_around_the_values_and_can_only_widen():
    scale = bq.LinearScale()
    _ui.round_out(scale, [-3.2, 0.4, 7.9])
    assert (scale.min, scale.max) == (-5.0, 10.0)
    _ui.round_out(scale, [1.0, 2.0], step=1.0)
    assert (scale.min, scale.max) == (1.0, 2.0)
    _ui.round_out(scale, [0.5, 1.5], step=1.0, widen_only=True)
    assert (scale.min, scale.max) == (0.0, 2.0)
    _ui.round_out(scale, [12.0], widen_only=True)
    assert (scale.min, scale.max) == (0.0, 15.0)
