"""The shared panel helpers: messages and code lines."""

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
