"""TrajectoryPanel: one NUTS transition of a fit, replayed leapfrog step by leapfrog step."""

from __future__ import annotations

import bqplot as bq
import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui
from widgets._panel import Panel
from widgets._replay import Replay
from widgets.inference import Fit
from widgets.inference.trajectory import (
    MAX_DELTA_ENERGY,
    Trajectory,
    record_trajectory,
    start_near,
    unconstrained_coordinates,
    unconstrained_draws,
)

FORWARD_COLOR = _ui.COLORS["band"]  # blue
BACKWARD_COLOR = _ui.COLORS["density"]  # reddish purple
DIVERGENT_COLOR = _ui.COLORS["data"]  # vermillion
START_COLOR = _ui.COLORS["truth"]  # bluish green
# Dark orange: Okabe-Ito orange (#E69F00) is 2.2:1 on white; this is 4:1 on light and dark themes.
UTURN_COLOR = "#B86E00"
# The most draws drawn as dots (evenly thinned beyond); divergent draws are all drawn.
MAX_DOTS = 2000
FRAME_INTERVAL_MS = 40  # 25 frames per second, replayed in the page
# The axes show the draws and the trajectory; for a divergent one they reach at most REACH times the
# draws' range past the draws: a step thousands of units away would squash the draws into a dot.
REACH = 1.0
MARGIN = 0.15  # of the range shown, on each side
FIGURE_CLASS = "trajectory-figure"
# Clicks anywhere in the plot move the start: the marks let them through to the figure's
# background, where the start mark's "add" interaction takes them.
_CLICK_THROUGH_CSS = (
    f"<style>.{FIGURE_CLASS} .mark, .{FIGURE_CLASS} .mark * {{ pointer-events: none; }}"
    f" .{FIGURE_CLASS} {{ cursor: crosshair; }}</style>"
)


class TrajectoryPanel(Panel):
    """Replay one NUTS transition of a fit on two coordinates, step by step.

    The posterior draws of the two coordinates (divergent ones marked) and
    one NUTS tree from the start point: each leapfrog point, the doublings
    forward and backward in time in two colours, where the U-turn stops it,
    and the divergence where the energy error blows up. The tree is NumPyro's
    own (:func:`widgets.inference.trajectory.record_trajectory`), from the
    fit's adapted step size and mass matrix, compiled once per model: a new
    start, seed or chain records in milliseconds. Play replays it in the page
    (:class:`widgets._replay.Replay`: the tree is sent once, and the kernel
    hears the frame only when the replay ends or is paused); the step slider
    and the `frame` trait draw any frame from the kernel. The axes hold the
    draws and the whole trajectory, set once per trajectory so that they stand
    still during a replay; a divergent trajectory is shown only within one
    range of the draws past them (its blown-up steps would squash the draws
    into a dot), and the status says how many of its points are off the plot.
    Clicking the plot moves the start there. The coordinates are those NUTS moves in
    (``log tau`` for a positive ``tau``); the start's other coordinates come
    from the posterior draw nearest to it in the two shown.

    Cross-trait rules are a guarded update (see :class:`widgets._panel.Panel`):
    a bad coordinate, start, seed or chain is refused with a message, and the
    panel keeps its last good state.

    Parameters
    ----------
    fit : Fit
        A fit from :func:`widgets.inference.fit_model` or :func:`widgets.inference.fit`.
    **kwargs
        Initial values of the traits below.

    Attributes
    ----------
    fit : Fit
        The fit whose transition is replayed.
    x, y : str
        The coordinates on the horizontal and vertical axes (e.g. ``"theta[0]"``, ``"log tau"``).
    start : tuple of float
        The start's values of `x` and `y`.
    seed : int
        Seed of the momentum and of the doubling directions.
    chain : int
        The chain whose adapted step size and mass matrix are used.
    frame : int
        How many leapfrog steps are shown, from 0 to the tree's number of steps.
    trajectory : Trajectory or None
        The recorded transition.
    diverging : bool
        Whether the transition diverged.
    code : str
        The panel as one line of code.
    message : str
        The message shown; empty when all is well.
    """

    INPUTS = ("x", "y", "start", "seed", "chain")

    fit = tr.Instance(Fit, help="The fit whose transition is replayed.")
    x = tr.Unicode("", help="The coordinate on the horizontal axis.")
    y = tr.Unicode("", help="The coordinate on the vertical axis.")
    start = tr.Tuple(tr.Float(), tr.Float(), default_value=(0.0, 0.0), help="The start's x and y.")
    seed = tr.Int(0, help="Seed of the momentum and of the doubling directions.")
    chain = tr.Int(0, help="The chain whose step size and mass matrix are used.")
    frame = tr.Int(0, help="How many leapfrog steps are shown.")
    trajectory = tr.Instance(Trajectory, allow_none=True, help="The recorded transition.")
    diverging = tr.Bool(False, help="Whether the transition diverged.")

    def __init__(self, fit: Fit, **kwargs):
        super().__init__()
        self._names = _ui.CallerNames(fit=fit)
        self._coordinates: tuple[str, ...] = ()
        self._draws = np.zeros((0, 0))
        self._divergent = np.zeros(0, bool)
        self._drawn_axes: tuple = ()
        self.figure, scales = _ui.figure("one NUTS transition", "x", "y", height="420px")
        self.figure.add_class(FIGURE_CLASS)
        self.scales = scales
        self.draw_dots = _ui.scatter(
            scales, _ui.COLORS["draws"], size=8, opacity=0.35, label="posterior draws"
        )
        self.divergent_dots = _ui.scatter(
            scales, DIVERGENT_COLOR, size=14, opacity=0.8, label="divergent draws"
        )
        self.backward_path = _path(scales, BACKWARD_COLOR, "backward in time")
        self.forward_path = _path(scales, FORWARD_COLOR, "forward in time")
        self.start_dot = _ui.scatter(scales, START_COLOR, size=90, opacity=1.0, label="start")
        self.start_dot.interactions = {"click": "add"}
        self.end_dots = _ui.scatter(scales, UTURN_COLOR, size=90, opacity=1.0, label="U-turn")
        self.end_dots.marker = "square"
        self.divergence_dot = _ui.scatter(scales, DIVERGENT_COLOR, size=220, opacity=1.0, label="divergence")
        self.divergence_dot.marker = "cross"
        self.figure.marks = [
            self.draw_dots,
            self.divergent_dots,
            self.backward_path,
            self.forward_path,
            self.end_dots,
            self.divergence_dot,
            self.start_dot,
        ]
        self.step_slider = ipw.IntSlider(value=0, min=0, max=1, description="step", layout=_ui.CONTROL_LAYOUT)
        self._replayed = {
            "forward": self.forward_path,
            "backward": self.backward_path,
            "start": self.start_dot,
            "ends": self.end_dots,
            "divergence": self.divergence_dot,
        }
        self.replay = Replay(
            marks=list(self._replayed.values()), slider=self.step_slider, interval=FRAME_INTERVAL_MS
        )
        self.x_choice = _ui.dropdown("x axis", [""], "", description="Coordinate on the horizontal axis")
        self.y_choice = _ui.dropdown("y axis", [""], "", description="Coordinate on the vertical axis")
        self.seed_box = _ui.int_box(
            "seed", low=0, high=2**32 - 1, description="Seed of the momentum and of the doubling directions"
        )
        self.status = ipw.HTML()
        self._set_coordinates(fit)
        self._tie(x=self.x_choice, y=self.y_choice, seed=self.seed_box)
        self._tie(frame=self.step_slider)
        self._tie(frame=self.replay)
        self.children = [
            ipw.HTML(_CLICK_THROUGH_CSS),
            _ui.heading("NUTS, step by step"),
            ipw.HBox([self.x_choice, self.y_choice, self.seed_box], layout=ipw.Layout(flex_flow="row wrap")),
            ipw.HBox([self.replay, self.step_slider]),
            self.figure,
            _ui.key(
                (_ui.COLORS["draws"], "dot", "posterior draws"),
                (DIVERGENT_COLOR, "dot", "divergent draws"),
                (START_COLOR, "dot", "start (click the plot to move it)"),
                (FORWARD_COLOR, "line", "forward in time"),
                (BACKWARD_COLOR, "line", "backward in time"),
                (UTURN_COLOR, "square", "ends where the U-turn stopped it"),
                (DIVERGENT_COLOR, "cross", "divergence"),
            ),
            self.status,
            *self._footer(),
        ]
        self.start_dot.observe(self._on_click, names=["x", "y"])
        self.observe(lambda _: self._update(), names=["x", "y", "start", "seed", "chain"])
        self.observe(lambda _: self._show_frame(), names="frame")
        self.observe(self._on_fit, names="fit")
        initial = {"fit": fit, **kwargs}
        if "x" not in kwargs or "y" not in kwargs:
            initial = {**_default_axes(self._coordinates), **initial}
        if "start" not in kwargs:
            initial["start"] = self._typical_start(initial.get("x", ""), initial.get("y", ""))
        self._set_initial(initial)
        self._update()

    # -- inputs --------------------------------------------------------------

    def _set_coordinates(self, fit: Fit) -> None:
        self._coordinates = unconstrained_coordinates(fit)
        draws = unconstrained_draws(fit)
        divergent = np.asarray(fit.sample_stats["diverging"], bool).reshape(-1)
        self._draws = draws.reshape(-1, draws.shape[-1])
        self._divergent = divergent
        for choice in (self.x_choice, self.y_choice):
            choice.options = list(self._coordinates)

    def _on_fit(self, change) -> None:
        with self._holding():
            shown = (self.x, self.y)  # new options may move the drop-downs, and the traits with them
            self._set_coordinates(change["new"])
            if not set(shown) <= set(self._coordinates):
                # A fit of another model: its own axes and typical start, as a new panel would show.
                axes = _default_axes(self._coordinates)
                self.x, self.y = axes["x"], axes["y"]
                self.start = self._typical_start(self.x, self.y)
            else:
                self.x, self.y = shown
        self._drawn_axes = ()
        self._update()

    def _typical_start(self, x: str, y: str) -> tuple[float, float]:
        """The posterior median of the two coordinates (0, 0 if they are not coordinates)."""
        if x not in self._coordinates or y not in self._coordinates:
            return (0.0, 0.0)
        median = np.median(self._draws, axis=0)
        return (_rounded(median[self._coordinates.index(x)]), _rounded(median[self._coordinates.index(y)]))

    def _on_click(self, change) -> None:
        xs, ys = np.asarray(self.start_dot.x), np.asarray(self.start_dot.y)
        if xs.size <= 1 or ys.size != xs.size:
            return  # the panel's own redraw of the start
        self.start = (_rounded(xs[-1]), _rounded(ys[-1]))

    # -- drawing -------------------------------------------------------------

    def _draw(self) -> None:
        for name in ("x", "y"):
            if getattr(self, name) not in self._coordinates:
                raise ValueError(
                    f"{name} must be one of the coordinates NUTS moves in, {list(self._coordinates)}; "
                    f"got {getattr(self, name)!r}"
                )
        if self.x == self.y:
            raise ValueError(f"x and y must be two different coordinates; both are {self.x!r}")
        if not all(np.isfinite(self.start)):
            raise ValueError(f"start must be two finite numbers; got {self.start}")
        start = start_near(self.fit, {self.x: self.start[0], self.y: self.start[1]})
        trajectory = record_trajectory(self.fit, start, chain=self.chain, seed=self.seed)
        self._draw_axes()
        off_plot = self._fit_axes(trajectory)
        self.trajectory = trajectory
        self.diverging = trajectory.diverging
        with self._holding():
            self.step_slider.max = max(trajectory.num_steps, 1)
        i, j = trajectory.coordinate(self.x), trajectory.coordinate(self.y)
        # The whole tree, once, to the page's replay; showing its last frame sets `frame` too.
        replay = _replay(trajectory, i, j)
        self.replay.load({self._replayed[role]: replay[role] for role in replay}, value=trajectory.num_steps)
        self._show_frame()
        self.status.value = _status_html(trajectory, off_plot)

    def _draw_axes(self) -> None:
        """The draws of the chosen coordinates."""
        if self._drawn_axes == (self.fit, self.x, self.y):
            return
        i, j = self._coordinates.index(self.x), self._coordinates.index(self.y)
        thin = max(1, len(self._draws) // MAX_DOTS)
        xs, ys = self._draws[::thin, i], self._draws[::thin, j]
        _ui.set_data(self.draw_dots, x=xs, y=ys)
        _ui.set_data(
            self.divergent_dots, x=self._draws[self._divergent, i], y=self._draws[self._divergent, j]
        )
        self.figure.axes[0].label, self.figure.axes[1].label = self.x, self.y
        self._drawn_axes = (self.fit, self.x, self.y)

    def _fit_axes(self, t: Trajectory) -> int:
        """Fix the axes to the draws and trajectory `t`; return how many of its points lie off them.

        All of an ordinary trajectory is shown; a divergent one within `REACH`
        of the draws. Set once per trajectory, never per frame, so that the axes
        stand still during a replay.
        """
        path = np.vstack([t.start, t.positions])
        reach = REACH if t.diverging else np.inf
        off = np.zeros(len(path), bool)
        for name, scale in (("x", self.scales["x"]), ("y", self.scales["y"])):
            coordinate = getattr(self, name)
            values = path[:, t.coordinate(coordinate)]
            low, high = _extent(self._draws[:, self._coordinates.index(coordinate)], values, reach=reach)
            if (scale.min, scale.max) != (low, high):
                with scale.hold_sync():
                    scale.min, scale.max = low, high
            off |= ~((values >= low) & (values <= high))  # NaN and infinity are off too
        return int(off.sum())

    def _show_frame(self) -> None:
        """Draw the first `frame` leapfrog steps of the trajectory."""
        t = self.trajectory
        if t is None:
            return
        i, j = t.coordinate(self.x), t.coordinate(self.y)
        for role, points in _frame(t, i, j, min(max(self.frame, 0), t.num_steps)).items():
            _ui.set_data(self._replayed[role], x=points[:, 0], y=points[:, 1])

    def _code(self) -> str:
        fit = self._names.code("fit", self.fit)
        return (
            f"TrajectoryPanel({fit}, x={self.x!r}, y={self.y!r}, "
            f"start=({self.start[0]!r}, {self.start[1]!r}), seed={self.seed}, chain={self.chain})"
        )


def _path(scales, color: str, label: str) -> bq.Lines:
    mark = _ui.lines(scales, color, label=label)
    mark.marker = "circle"
    mark.marker_size = 24
    return mark


def _frame(t: Trajectory, i: int, j: int, shown: int) -> dict[str, np.ndarray]:
    """What each replayed mark shows after `shown` leapfrog steps: points on coordinates `i`, `j`."""
    steps, forward = t.positions[:shown], t.forward[:shown]
    start = t.start[None, :]
    ends = np.zeros((0, len(t.start)))
    if shown == t.num_steps and t.turning and not t.diverging:
        # The two ends of the tree, where the U-turn criterion stopped it.
        ends = np.vstack([_last(t, forward=True), _last(t, forward=False)])
    step = t.divergent_step
    marked = step is not None and step < shown and np.all(np.isfinite(t.positions[step, [i, j]]))
    points = {
        "forward": np.vstack([start, steps[forward]]),
        "backward": np.vstack([start, steps[~forward]]),
        "start": start,
        "ends": ends,
        "divergence": t.positions[[step]] if marked else np.zeros((0, len(t.start))),
    }
    return {role: p[:, [i, j]] for role, p in points.items()}


def _replay(t: Trajectory, i: int, j: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The whole replay: per mark, its x and y at the last frame, and how many points it shows at each frame.

    Each frame of a mark is a prefix of its last (:func:`_frame` gives the same
    points frame by frame), so the page can grow the marks with no kernel.
    """
    last = _frame(t, i, j, t.num_steps)
    frames = np.arange(t.num_steps + 1)
    grown = np.concatenate([[0], np.cumsum(t.forward)])  # forward steps taken after each frame
    step = t.divergent_step
    counts = {
        "forward": 1 + grown,
        "backward": 1 + frames - grown,
        "start": np.ones_like(frames),
        "ends": np.where(frames == t.num_steps, len(last["ends"]), 0),
        "divergence": (frames > step) * len(last["divergence"]) if step is not None else 0 * frames,
    }
    return {role: (last[role][:, 0], last[role][:, 1], counts[role]) for role in last}


def _extent(draws: np.ndarray, path: np.ndarray, *, reach: float) -> tuple[float, float]:
    """An axis range over the draws and the path's points, with a margin.

    Path points further than `reach` times the draws' range past the draws
    (and NaN or infinite ones) are left out: with a finite `reach` the draws
    keep a share of the axis whatever the path does.
    """
    low, high = float(np.min(draws)), float(np.max(draws))
    beyond = reach * max(high - low, 1e-3)
    near = path[np.isfinite(path) & (path >= low - beyond) & (path <= high + beyond)]
    if near.size:
        low, high = min(low, float(np.min(near))), max(high, float(np.max(near)))
    pad = MARGIN * (high - low) + 1e-3
    return low - pad, high + pad


def _last(t: Trajectory, *, forward: bool) -> np.ndarray:
    """The last point of the tree in one direction (the start if it never went that way)."""
    points = t.positions[t.forward == forward]
    return points[-1] if len(points) else t.start


def _count(n: int, thing: str) -> str:
    """``"1 doubling"``, ``"2 doublings"``."""
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _rounded(value: float) -> float:
    """A clicked or typical coordinate to 2 decimals, so that the code line holds it exactly."""
    return round(float(value), 2)


def _default_axes(coordinates: tuple[str, ...]) -> dict[str, str]:
    """A scale coordinate on y (``log ...``) and the first other one on x, if there is one."""
    y = next((name for name in coordinates if name.startswith("log ")), coordinates[-1])
    others = [name for name in coordinates if name != y]
    x = next((name for name in others if "[" in name), others[0])
    return {"x": x, "y": y}


def _status_html(t: Trajectory, off_plot: int = 0) -> str:
    """What the tree did, in words, and how many of its `off_plot` points the axes leave out."""
    directions = f"{int(t.forward.sum())} forward, {int((~t.forward).sum())} backward"
    if t.diverging:
        step = t.divergent_step
        error = t.energy_error[step] if step is not None else np.nan
        size = f"{error:.3g}, past {MAX_DELTA_ENERGY:g}" if np.isfinite(error) else "too large to compute"
        where = f"step {step + 1}" if step is not None else "the last step"
        why = (
            f"<b>diverged</b> at {where}: the energy error blew up ({size}), so NUTS stopped "
            "and marked the draw divergent"
        )
    elif t.turning:
        why = "stopped by a <b>U-turn</b>: the two ends began to move towards each other"
    else:
        why = "stopped at the maximum tree depth"
    text = (
        f"{_count(t.num_steps, 'leapfrog step')} ({directions}) in {_count(t.depth, 'doubling')} "
        f"of step size {t.step_size:.3g}; {why}. Other coordinates from the nearest posterior draw."
    )
    if off_plot:
        lie = "1 point of the path lies" if off_plot == 1 else f"{off_plot} points of the path lie"
        text += (
            f" <b>{lie} off the plot</b>, too far from the draws to show with them: "
            "the path runs out through the edge."
        )
    return f'<div style="{_ui.TEXT_STYLE}">{text}</div>'
