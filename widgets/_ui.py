"""What every panel repeats: figures, marks, labelled controls, messages, code lines.

Colours are the Okabe-Ito palette, legible for colour-blind readers and on both
JupyterLab's light and dark themes; bqplot takes axes, text and background from
the theme's CSS variables. Messages use the theme's own variables too.
"""

from __future__ import annotations

import contextlib
import gc
import html
import keyword
import sys
import time
from collections.abc import Callable, Iterator

import bqplot as bq
import ipywidgets as ipw
import numpy as np

COLORS = {
    # Okabe-Ito colours. Solid marks keep >= 3:1 contrast on light and dark themes;
    # sky blue (2.3:1 on white) is only for faint, many-line draws.
    "draws": "#56B4E9",  # sky blue: many translucent draws
    "band": "#0072B2",  # blue: predictive bands, medians, replicated statistics
    "data": "#D55E00",  # vermillion: observed data and their statistic
    "truth": "#009E73",  # bluish green: true values, reference lines
    "density": "#CC79A7",  # reddish purple: prior and posterior densities
}
LABEL_WIDTH = "9em"
FIGURE_CLASS = "workflow-figure"
# Controls shrink to fit a narrow column (the prior panel's three) rather than being cut off.
CONTROL_LAYOUT = {"width": "100%", "max_width": "24em"}
# Text in the theme's own colour, legible on light and dark themes alike.
TEXT_STYLE = "color: var(--jp-ui-font-color1, inherit)"
# A table of numbers (a fit's summary, a model comparison) in the theme's code font and colour.
TABLE_STYLE = (
    "border-collapse: collapse; font-family: var(--jp-code-font-family, monospace); "
    f"font-size: var(--jp-code-font-size, 12px); {TEXT_STYLE}"
)
# Translucent bands (fill-opacity 0.12-0.35) all but vanish on a dark theme's
# near-black plot area (contrast ~1.1:1); there they are drawn brighter, in the
# figures and in their keys alike.
_DARK_THEME_CSS = (
    '<style>body[data-jp-theme-light="false"] :is(.workflow-figure path.area, .workflow-key rect.band)'
    " { filter: brightness(2); }</style>"
)


def figure(
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    height: str = "260px",
    width: str = "100%",
    y_values: bool = True,
    narrow: bool = False,
) -> tuple[bq.Figure, dict[str, bq.Scale]]:
    """Make an empty figure with labelled axes over fixed or automatic ranges.

    Parameters
    ----------
    title, x_label, y_label : str
        Figure title and axis labels.
    x_range, y_range : tuple of float, optional
        Fixed axis ranges, so the axes do not jump when the marks change.
    height, width : str
        CSS size of the figure.
    y_values : bool
        Whether to label the y axis' ticks (densities are read by their shape).
    narrow : bool
        A figure a third of a panel wide: 5 x ticks, so that their labels do not
        run into each other (bqplot's default is about 10).

    Returns
    -------
    figure : bqplot.Figure
        The figure, with no marks yet.
    scales : dict
        ``{"x": LinearScale, "y": LinearScale}`` for the figure's marks.
    """
    x_ticks = {"num_ticks": 5} if narrow else {}
    scales = {
        "x": bq.LinearScale(**_bounds(x_range)),
        "y": bq.LinearScale(**_bounds(y_range)),
    }
    axes = [
        bq.Axis(scale=scales["x"], label=x_label, grid_lines="none", **x_ticks),
        bq.Axis(
            scale=scales["y"],
            label=y_label,
            side="left",
            grid_lines="none",
            tick_style={} if y_values else {"display": "none"},
        ),
    ]
    fig = bq.Figure(
        title=title,
        axes=axes,
        marks=[],
        fig_margin={"top": 40, "bottom": 45, "left": 55, "right": 15},
        layout=ipw.Layout(height=height, width=width, min_width="260px"),
        animation_duration=0,
    )
    fig.add_class(FIGURE_CLASS)
    return fig, scales


def _bounds(span: tuple[float, float] | None) -> dict[str, float]:
    return {} if span is None else {"min": float(span[0]), "max": float(span[1])}


def lines(
    scales, color: str, *, opacity: float = 1.0, width: float = 2.0, label: str = "", dashed: bool = False
) -> bq.Lines:
    """An empty line mark (one or several lines) on `scales`.

    The label names the mark (tests find marks by it); the figure's key, not
    bqplot's legend (which leaves out filled bands), shows it to the reader.
    """
    return bq.Lines(
        x=np.zeros(0),
        y=np.zeros(0),
        scales=scales,
        colors=[color],
        opacities=[opacity],
        stroke_width=width,
        labels=[label] if label else [],
        line_style="dashed" if dashed else "solid",
    )


def band(scales, color: str, *, opacity: float, label: str = "") -> bq.Lines:
    """An empty band: a pair of lines with the area between them filled."""
    mark = lines(scales, color, opacity=0.0, width=0.0, label=label)
    mark.fill = "between"
    mark.fill_colors = [color]
    mark.fill_opacities = [opacity]
    return mark


def scatter(scales, color: str, *, size: int = 20, opacity: float = 0.9, label: str = "") -> bq.Scatter:
    """An empty scatter mark of dots on `scales`."""
    return bq.Scatter(
        x=np.zeros(0),
        y=np.zeros(0),
        scales=scales,
        colors=[color],
        default_size=size,
        opacities=[opacity],
        labels=[label] if label else [],
    )


def key(*entries: tuple[str, str, str]) -> ipw.HTML:
    """A one-line colour key for a figure: ``(color, kind, label)`` per entry.

    `kind` is ``"line"``, ``"dashed"``, ``"band"``, ``"dot"``, ``"square"`` or
    ``"cross"`` (the last three as bqplot's scatter markers). Swatches are
    inline SVG, so the key reads the same in light and dark themes.
    """
    shapes = {
        "line": '<line x1="1" y1="6" x2="17" y2="6" stroke="{c}" stroke-width="3"/>',
        "dashed": '<line x1="1" y1="6" x2="17" y2="6" stroke="{c}" stroke-width="3" stroke-dasharray="4 3"/>',
        "band": '<rect class="band" x="1" y="1" width="16" height="10" fill="{c}" fill-opacity="0.35"/>',
        "dot": '<circle cx="9" cy="6" r="4" fill="{c}"/>',
        "square": '<rect x="5" y="2" width="8" height="8" fill="{c}"/>',
        "cross": '<path d="M7.5 1h3v3.5h3.5v3h-3.5v3.5h-3v-3.5h-3.5v-3h3.5z" fill="{c}"/>',
    }
    items = "".join(
        f'<span style="margin-right: 1.2em; white-space: nowrap">'
        f'<svg width="18" height="12" aria-hidden="true">{shapes[kind].format(c=color)}</svg> '
        f"{html.escape(label)}</span>"
        for color, kind, label in entries
    )
    return ipw.HTML(f'{_DARK_THEME_CSS}<div class="workflow-key" style="{TEXT_STYLE}">{items}</div>')


def vertical_lines(mark: bq.Lines, positions, y_span: tuple[float, float]) -> None:
    """Draw `mark` as one vertical line per position across `y_span`."""
    positions = np.atleast_1d(np.asarray(positions, float))
    with mark.hold_sync():
        mark.x = np.repeat(positions[:, None], 2, axis=1)
        mark.y = np.tile(np.asarray(y_span, float), (len(positions), 1))


def round_out(scale: bq.LinearScale, values, *, step: float = 5.0, widen_only: bool = False) -> None:
    """Set `scale`'s min and max to whole steps of `step` around `values`.

    Whole steps keep the axis still while the data moves a little: it changes
    only when a value crosses a step. With `widen_only` the current range is
    kept and only ever grown (for data a student drags about).
    """
    values = np.asarray(values, float)
    low, high = float(values.min()), float(values.max())
    if widen_only:
        low = low if scale.min is None else min(low, scale.min)
        high = high if scale.max is None else max(high, scale.max)
    with scale.hold_sync():
        scale.min, scale.max = float(step * np.floor(low / step)), float(step * np.ceil(high / step))


def set_data(mark: bq.Mark, **data) -> None:
    """Set several data attributes of `mark` so that they reach the browser together.

    Attributes that already hold equal values are left alone, so a mark whose
    data did not change sends nothing and the browser does not redraw it.
    """
    changed = {name: value for name, value in data.items() if not equal_data(getattr(mark, name), value)}
    if not changed:
        return
    with mark.hold_sync():
        for name, value in changed.items():
            setattr(mark, name, value)


def equal_data(old, new) -> bool:
    """Whether two mark data hold the same numbers in the same shape and of the same kind.

    Parameters
    ----------
    old, new : array_like
        Data as a mark holds them, or as they are about to be set.

    Returns
    -------
    bool
        True when both are arrays of one shape and dtype kind with equal
        values; False otherwise, and for ragged data, which are never compared.
    """
    try:
        old, new = np.asarray(old), np.asarray(new)
    except ValueError:  # ragged
        return False
    return old.shape == new.shape and old.dtype.kind == new.dtype.kind and bool(np.array_equal(old, new))


def slider(
    label: str,
    value: float,
    low: float,
    high: float,
    step: float,
    *,
    integer: bool = False,
    description: str = "",
    continuous: bool = True,
) -> ipw.FloatSlider | ipw.IntSlider:
    """A labelled slider whose readout a student can also type into.

    Parameters
    ----------
    label : str
        Visible label (also what screen readers announce).
    value, low, high, step : float
        Start value, range and step.
    integer : bool
        An ``IntSlider`` instead of a ``FloatSlider``.
    description : str
        Longer help shown as the tooltip.
    continuous : bool
        Whether the value updates while dragging (``False`` for slow panels).
    """
    cls = ipw.IntSlider if integer else ipw.FloatSlider
    return cls(
        value=value,
        min=low,
        max=high,
        step=step,
        description=label,
        description_allow_html=False,
        tooltip=description or label,
        continuous_update=continuous,
        readout=True,
        style={"description_width": LABEL_WIDTH},
        layout=CONTROL_LAYOUT,
    )


def dropdown(label: str, options, value, *, description: str = "") -> ipw.Dropdown:
    """A labelled drop-down list."""
    return ipw.Dropdown(
        options=options,
        value=value,
        description=label,
        tooltip=description or label,
        style={"description_width": LABEL_WIDTH},
        layout=CONTROL_LAYOUT,
    )


def button(label: str, *, description: str, icon: str = "", style: str = "") -> ipw.Button:
    """A button with a visible label and a tooltip saying what it does."""
    return ipw.Button(description=label, tooltip=description, icon=icon, button_style=style)


def heading(text: str) -> ipw.HTML:
    """A small section heading inside a panel."""
    return ipw.HTML(f"<b>{html.escape(text)}</b>")


def int_box(
    label: str,
    *,
    low: int | None = None,
    high: int | None = None,
    description: str = "",
    width: str = "11em",
    label_width: str = "5em",
) -> ipw.IntText | ipw.BoundedIntText:
    """A labelled box for typing a whole number, bounded when `low` and `high` are given.

    Parameters
    ----------
    label : str
        The visible label.
    low, high : int, optional
        The range the box holds (both or neither); its tooltip states it.
    description : str
        Longer help shown as the tooltip.
    width, label_width : str
        CSS widths of the box and of its label.

    Returns
    -------
    ipywidgets.IntText or ipywidgets.BoundedIntText
        The box, its value at `low` (or 0).
    """
    if (low is None) != (high is None):
        raise ValueError(f"int_box {label!r}: give both low and high, or neither; got {low} and {high}")
    tooltip = description or label
    options = {
        "description": label,
        "layout": ipw.Layout(width=width),
        "style": {"description_width": label_width},
    }
    if low is None:
        return ipw.IntText(tooltip=tooltip, **options)
    return ipw.BoundedIntText(min=low, max=high, tooltip=f"{tooltip}, {low:,} to {high:,}", **options)


def progress_bar(description: str) -> ipw.FloatProgress:
    """A labelled progress bar from 0 to 1, for a run a panel does (fits, simulations)."""
    return ipw.FloatProgress(
        value=0.0, min=0.0, max=1.0, description=description, style={"description_width": "initial"}
    )


def table_html(
    table,
    *,
    index_label: str = "",
    columns=None,
    row_titles: dict[str, str] | None = None,
    formats: dict[str, str] | None = None,
    default_format: str = "{:.3f}",
) -> str:
    """A table of numbers as HTML in the theme's code font and colours (``TABLE_STYLE``).

    Parameters
    ----------
    table : pandas.DataFrame
        The numbers; its index names the rows.
    index_label : str
        The header over the row names.
    columns : sequence of str, optional
        The columns shown, in this order; all of them by default.
    row_titles : dict of str to str, optional
        What to show for a row name; the name itself when it is not a key.
    formats : dict of str to str, optional
        A format per column (``{"ess_bulk": "{:.0f}"}``); the others use `default_format`.
    default_format : str
        The format of the columns not in `formats`.

    Returns
    -------
    str
        The ``<table>`` element.
    """
    columns = list(table.columns if columns is None else columns)
    row_titles, formats = row_titles or {}, formats or {}
    cell = "padding: 2px 8px"
    header = "".join(f"<th style='{cell}'>{html.escape(str(name))}</th>" for name in (index_label, *columns))
    rows = "".join(
        f"<tr><th style='{cell}; text-align: left'>{html.escape(str(row_titles.get(name, name)))}</th>"
        + "".join(
            f"<td style='{cell}; text-align: right'>{formats.get(c, default_format).format(row[c])}</td>"
            for c in columns
        )
        + "</tr>"
        for name, row in table.iterrows()
    )
    return f"<table style='{TABLE_STYLE}'><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"


class MessageArea(ipw.HTML):
    """One line for errors, warnings and notes, coloured by JupyterLab's theme.

    Panels show every failure here: JupyterLab hides what widget callbacks
    print, so an exception raised in an observer would otherwise go unseen.
    """

    _STYLES = {
        "error": "color: var(--jp-error-color1, #d32f2f)",
        "warning": "color: var(--jp-warn-color1, #b26a00)",
        "ok": "color: var(--jp-success-color1, #388e3c)",
        "note": TEXT_STYLE,
    }

    def __init__(self, **kwargs):
        super().__init__(value="", **kwargs)
        self.text = ""
        self.level = ""

    def show(self, text: str, level: str = "error") -> None:
        """Show `text` (plain, escaped) at `level`: error, warning, ok or note."""
        self.text, self.level = text, level
        self.value = f'<div role="status" style="{self._STYLES[level]}">{html.escape(text)}</div>'

    def clear(self) -> None:
        """Remove the message."""
        self.text, self.level, self.value = "", "", ""

    @contextlib.contextmanager
    def guard(self, on_error: Callable[[], None] | None = None) -> Iterator[None]:
        """Run a panel update; on failure show why and leave the plots as they were.

        A ValueError is a bad input, shown as it is. Anything else is a bug, shown
        with its type so that it can be reported, and never re-raised into the
        widget callback where JupyterLab would hide it.

        Parameters
        ----------
        on_error : callable, optional
            Called after a failure, once the message shows: a panel puts its
            inputs back to the last good state here (see :class:`LastGood`).
        """
        try:
            yield
        except ValueError as err:
            self.show(str(err))
        except Exception as err:  # noqa: BLE001 - see docstring
            self.show(f"Unexpected {type(err).__name__}: {err}")
        else:
            if self.level == "error":
                self.clear()
            return
        if on_error is not None:
            on_error()


class LastGood:
    """The values of a panel's input traits at its last successful update.

    A panel that keeps its last good state calls :meth:`save` when an update
    succeeds and :meth:`restore` when one fails, so that its picture, traits,
    controls and code line always show the same state, and the message says
    why the input was not taken. :class:`widgets._panel.Panel` restores while
    it holds its updates, so that the restored inputs do not redraw one by one.

    Parameters
    ----------
    owner : traitlets.HasTraits
        The panel.
    names : iterable of str
        Its input traits.
    """

    def __init__(self, owner, names):
        self.owner, self.names = owner, tuple(names)
        self.values: dict | None = None

    def save(self) -> None:
        """Remember the inputs as they are now."""
        self.values = {name: getattr(self.owner, name) for name in self.names}

    def restore(self) -> None:
        """Put back the inputs of the last good update (nothing if there was none yet)."""
        if self.values is None:
            return
        for name, value in self.values.items():
            if not _same(getattr(self.owner, name), value):
                setattr(self.owner, name, value)


class CodeLine(ipw.VBox):
    """A panel's state as one line of code a student can copy into an answer cell.

    Shown in a text box so it can be selected and copied with the keyboard;
    edits are undone, since the line always mirrors the panel.
    """

    def __init__(self, label: str = "As code (copy into a cell):"):
        self._box = ipw.Text(
            value="",
            layout=ipw.Layout(width="100%"),
            tooltip="The panel's current state as code; select it and copy it",
        )
        self._box.observe(self._undo_edit, names="value")
        self._code = ""
        super().__init__([ipw.Label(label), self._box])

    @property
    def code(self) -> str:
        """The current line of code."""
        return self._code

    @code.setter
    def code(self, value: str) -> None:
        self._code = value
        self._box.value = value

    def _undo_edit(self, change) -> None:
        if change["new"] != self._code:
            self._box.value = self._code


def number_box(label: str, value: float, *, description: str = "", width: str = "7em") -> ipw.FloatText:
    """A labelled box for typing one number."""
    return ipw.FloatText(
        value=value,
        description=label,
        tooltip=description or label,
        style={"description_width": "initial"},
        layout=ipw.Layout(width=width),
    )


def range_boxes(label: str, span: tuple[float, float], *, description: str = ""):
    """A row with two number boxes, the low and the high end of a range.

    Returns
    -------
    row : ipywidgets.HBox
        The labelled row.
    low, high : ipywidgets.FloatText
        The two boxes.
    """
    low = number_box("from", span[0], description=f"{description or label}: low end")
    high = number_box("to", span[1], description=f"{description or label}: high end")
    label_widget = ipw.Label(label, layout=ipw.Layout(width=LABEL_WIDTH))
    return ipw.HBox([label_widget, low, high]), low, high


def checked_range(name: str, span) -> tuple[float, float]:
    """Return `span` as (low, high) floats, or raise a ValueError saying what is wrong."""
    low, high = (float(v) for v in span)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name}: both ends must be finite numbers; got {low} and {high}")
    if not low < high:
        raise ValueError(f"{name}: the low end ({low:g}) must be below the high end ({high:g})")
    return low, high


def _same(old, new) -> bool:
    """Whether two control values are the same, up to the rounding noise of a slider."""
    if old is new:
        return True
    try:
        if bool(old == new) or bool(np.isnan(old) and np.isnan(new)):
            return True
        # noUiSlider steps through percentages of its range: 1.0 comes back as 1.0000000000000002.
        return (
            isinstance(old, float) and isinstance(new, float) and abs(old - new) <= 1e-12 * max(1.0, abs(old))
        )
    except (TypeError, ValueError):
        return False


def moved(change) -> bool:
    """Whether a control's value change is a real move, not a slider's rounding noise."""
    return not _same(change["old"], change["new"])


def tie(owner, trait: str, control: ipw.Widget, attribute: str = "value") -> None:
    """Keep ``owner.trait`` and ``control.attribute`` equal, both ways.

    Unlike ``ipywidgets.link``, a value the control cannot hold (NaN in a
    slider, a number past its range) stays on the owner, where the panel
    reports it, instead of breaking the link with a TraitError.
    """
    pushing = [False]  # a value on its way from the owner: what the control clamps stays there

    def to_owner(change):
        if not pushing[0] and not _same(getattr(owner, trait), change["new"]):
            setattr(owner, trait, change["new"])

    def to_control(change):
        if not _same(getattr(control, attribute), change["new"]):
            pushing[0] = True
            try:
                setattr(control, attribute, change["new"])
            except Exception:  # noqa: BLE001 - the control keeps its last value
                pass
            finally:
                pushing[0] = False

    control.observe(to_owner, names=attribute)
    owner.observe(to_control, names=trait)
    to_control({"new": getattr(owner, trait)})


# -- code lines that run where the panel was made -------------------------


class CallerNames:
    """The names under which the code that made a panel holds the objects it passed.

    A panel's code line must run as pasted where the panel was made: after
    ``FitPanel(x_data, y_data)`` it must say ``FitPanel(x_data, y_data, ...)``.
    At construction, the first frame outside this package (a notebook cell, or
    the function that made the panel) is searched, its locals and then its
    globals, for a public name bound to the very object passed (identity, not
    equality). :meth:`code` then gives that name while the panel still holds
    that object, and otherwise code that rebuilds it (:func:`literal`): when no
    name held it, or when the trait was later set to another array.

    Parameters
    ----------
    **objects
        The arguments to name, e.g. ``x=x, y=y``.
    """

    def __init__(self, **objects):
        self._objects = objects
        self._names: dict[str, str] = {}
        self._literals: dict[str, tuple[object, str]] = {}
        frame = _caller_frame()
        try:
            for key, value in objects.items():
                name = _name_of(value, frame)
                if name is not None:
                    self._names[key] = name
        finally:
            del frame

    def code(self, key: str, value) -> str:
        """Code for argument `key` when the panel holds `value`: its caller's name or a literal."""
        if key in self._names and value is self._objects[key]:
            return self._names[key]
        cached = self._literals.get(key)
        if cached is None or cached[0] is not value:
            cached = (value, literal(value))
            self._literals[key] = cached
        return cached[1]


def _caller_frame():
    """The innermost frame on the stack whose code is not in this package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == __package__:
        frame = frame.f_back
    return frame


def _name_of(value, frame) -> str | None:
    """A public name that holds `value` itself in `frame` (locals first), or None."""
    if frame is None or value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return None
    for namespace in (frame.f_locals, frame.f_globals):
        for name, held in list(namespace.items()):
            if (
                held is value
                and name.isidentifier()
                and not name.startswith("_")
                and not keyword.iskeyword(name)
            ):
                return name
    return None


def literal(value) -> str:
    """Python code that rebuilds `value` with no imports: a (nested) list of numbers, or ``None``.

    Float32 numbers are written as the shortest text that reads back as the
    same float32 (the panels compute in float32), other floats as the shortest
    that reads back as the same float64. What is not an array of numbers (a
    Fit, say) cannot be written out and becomes ``None``.
    """
    if value is None:
        return "None"
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - not array-like: nothing to write out
        return "None"
    if array.dtype.kind not in "iuf":
        return "None"
    return _nested(array)


def _nested(array: np.ndarray) -> str:
    if array.ndim:
        return "[" + ", ".join(_nested(part) for part in array) + "]"
    if array.dtype.kind in "iu":
        return str(int(array))
    number = float(array)
    if np.isnan(number):
        return "float('nan')"
    if np.isinf(number):
        return "float('inf')" if number > 0 else "-float('inf')"
    return str(np.float32(array)) if array.dtype == np.float32 else repr(number)


# -- no garbage collection on a slider move -------------------------------

LONG_CELL_SECONDS = 1.0
_collector: dict = {}


def collect_after_long_cells() -> None:
    """In IPython, collect garbage at the end of every cell that ran 1 s or more.

    Cells that import or compile (a NUTS fit, a ``Predictive``, importing
    Matplotlib) leave hundreds of thousands of new long-lived objects, and
    Python's next full (generation 2) collection then walks every object in
    the kernel: 0.2-0.4 s measured here. It runs at whatever allocation comes
    next, which is often the student's first slider move, so that move's
    redraw waits for it. Collecting at the end of the long cell pays that debt
    while the cell's output is still awaited, and slider moves, which leave
    few objects behind, do not trigger another. Panels with sliders call this;
    it registers its IPython hooks once and does nothing outside IPython.
    """
    if _collector:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is None:
        return
    _collector["start"] = time.perf_counter()

    def started(*_):
        _collector["start"] = time.perf_counter()

    def finished(*_):
        if time.perf_counter() - _collector["start"] >= LONG_CELL_SECONDS:
            gc.collect()

    shell.events.register("pre_run_cell", started)
    shell.events.register("post_run_cell", finished)
    _collector["hooks"] = (started, finished)


# -- slider handles with accessible names ---------------------------------

PANEL_CLASS = "workflow-panel"
# noUiSlider, which draws ipywidgets 8's sliders, gives each handle role=slider
# and a tab stop but no accessible name, and ipywidgets passes it none, so a
# screen reader says only "slider, 2.00". CSS cannot set one. This script, run
# by the browser when it renders the panel's (hidden) HTML widget, names each
# handle after its slider's visible label ("a: scale"), now and whenever the
# panel makes new sliders (a family switch).
_NAME_HANDLES = (
    "(function (img) {"
    "  var tries = 0;"
    "  function start() {"
    f"    var root = img.closest('.{PANEL_CLASS}');"
    "    if (!root) { if (tries++ < 600) requestAnimationFrame(start); return; }"
    "    if (root.__namedHandles) return;"
    "    root.__namedHandles = true;"
    "    function name() {"
    "      root.querySelectorAll('.widget-slider').forEach(function (s) {"
    "        var label = s.querySelector('.widget-label'), handle = s.querySelector('.noUi-handle');"
    "        if (label && handle && handle.getAttribute('aria-label') !== label.textContent)"
    "          handle.setAttribute('aria-label', label.textContent);"
    "      });"
    "    }"
    "    name();"
    # A plot's own changes (bqplot redraws its SVG on every replay frame) cannot add a slider.
    "    new MutationObserver(function (records) {"
    "      if (records.some(function (r) { return !(r.target instanceof SVGElement); })) name();"
    "    }).observe(root, { childList: true, subtree: true });"
    "  }"
    "  start();"
    "})(this)"
)


def slider_names(panel: ipw.Box) -> ipw.HTML:
    """A hidden child for `panel` that gives its slider handles accessible names.

    Each handle is named after its slider's label (``aria-label="a: scale"``),
    so that a screen reader, and a keyboard user tabbing to it, hears which
    slider it is. The handles already take the Tab key and move with the arrow
    keys (noUiSlider's keyboard support). Marks `panel` with ``PANEL_CLASS``.
    """
    panel.add_class(PANEL_CLASS)
    # An image that cannot load runs its onerror handler: the one way to run a
    # line of script from an ipywidgets HTML widget, whose value is set as innerHTML.
    return ipw.HTML(
        f'<img src="data:," alt="" style="display: none" onerror="{html.escape(_NAME_HANDLES)}">',
        layout=ipw.Layout(display="none"),
    )
