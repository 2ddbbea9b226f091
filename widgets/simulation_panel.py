"""SimulationPanel: simulate a data set from the model with parameters you choose."""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui, inference
from widgets._panel import Panel
from widgets.inference.checks import _as_seed
from widgets.tutorial import N, SITES, TRUE_VALUES, X_RANGE

MAX_N = 1000  # simulate this many once; n shows the first n (no recompiling)


def simulated_data(a, b, sigma, n, x_range=X_RANGE, seed=0):
    """The data SimulationPanel shows: x uniform over `x_range`, y from the model.

    The first `n` of `MAX_N` points, so that a larger n adds points and keeps
    the others.

    Returns
    -------
    x, y : numpy.ndarray, shape (n,)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_N:
        raise ValueError(f"n must be an integer from 1 to {MAX_N}; got {n!r}")
    low, high = _ui.checked_range("x range", x_range)
    x = np.random.default_rng(int(_as_seed(seed))).uniform(low, high, MAX_N).astype(np.float32)
    y = inference.simulate(x, a, b, sigma, seed=seed)
    return x[:n], y[:n]


class SimulationPanel(Panel):
    """Choose the true parameters and see a data set drawn from the model.

    The data come from :func:`widgets.inference.simulate`, the same model that
    is later fitted, so a fit can be checked against the truth.

    The sliders offer only valid values (sigma > 0, n >= 1). Other bad input
    (a value set from Python, an empty x range) is handled by a guarded
    update: the panel keeps its last good data, puts the inputs and controls
    back to them, and says why in the message area.

    Parameters
    ----------
    **kwargs
        Initial values of the traits below.

    Attributes
    ----------
    a, b, sigma : float
        The true slope, intercept and noise scale.
    n : int
        Number of data points.
    x_range : tuple of float
        Range of x, drawn uniformly.
    seed : int
        Seed of the simulation.
    x, y : numpy.ndarray
        The simulated data (the last valid ones).
    code : str
        The panel as one line of code.
    message : str
        The message shown; empty when all is well.
    """

    INPUTS = (*SITES, "n", "x_range", "seed")

    a = tr.Float(TRUE_VALUES["a"], help="True slope.")
    b = tr.Float(TRUE_VALUES["b"], help="True intercept.")
    sigma = tr.Float(TRUE_VALUES["sigma"], help="True noise scale.")
    n = tr.Int(N, help="Number of data points.")
    x_range = tr.Tuple(tr.Float(), tr.Float(), default_value=X_RANGE, help="Range of x.")
    seed = tr.Int(0, help="Seed of the simulation.")
    x = tr.Any(help="Simulated x (last valid).")
    y = tr.Any(help="Simulated y (last valid).")

    def __init__(self, **kwargs):
        super().__init__()
        self.a_slider = _ui.slider("true a", self.a, -5.0, 5.0, 0.05, description="True slope a")
        self.b_slider = _ui.slider("true b", self.b, -5.0, 5.0, 0.05, description="True intercept b")
        self.sigma_slider = _ui.slider(
            "true sigma", self.sigma, 0.01, 3.0, 0.01, description="True noise sigma"
        )
        self.n_slider = _ui.slider("n", self.n, 1, MAX_N, 1, integer=True, description="Number of points")
        self.seed_box = _ui.int_box("seed", low=0, high=2**32 - 1, description="Seed of the simulation")
        x_row, self.x_low, self.x_high = self._range_row("x_range", "x range")
        self._tie(
            a=self.a_slider, b=self.b_slider, sigma=self.sigma_slider, n=self.n_slider, seed=self.seed_box
        )

        self.figure, self._scales = _ui.figure("Simulated data and the true line", "x", "y")
        self._truth = _ui.lines(self._scales, _ui.COLORS["truth"], label="true line a*x + b")
        self._points = _ui.scatter(self._scales, _ui.COLORS["data"], label="simulated data")
        self.figure.marks = [self._truth, self._points]
        self._key = _ui.key(
            (_ui.COLORS["data"], "dot", "simulated data"), (_ui.COLORS["truth"], "line", "true line a*x + b")
        )
        self.children = [
            _ui.heading("Simulate data from the model"),
            ipw.HBox(
                [
                    ipw.VBox([self.a_slider, self.b_slider, self.sigma_slider]),
                    ipw.VBox([self.n_slider, x_row, self.seed_box]),
                ],
                layout=ipw.Layout(flex_flow="row wrap"),
            ),
            self.figure,
            self._key,
            *self._footer(),
        ]
        self.observe(lambda _: self._update(), names=list(self.INPUTS))
        self._set_initial(kwargs)
        self._update()

    def _draw(self) -> None:
        x, y = simulated_data(self.a, self.b, self.sigma, self.n, self.x_range, self.seed)
        low, high = self.x_range
        line_x = np.array([low, high])
        line_y = self.a * line_x + self.b
        extent = np.concatenate([y, line_y])
        with self._scales["x"].hold_sync():
            self._scales["x"].min, self._scales["x"].max = float(low), float(high)
        _ui.round_out(self._scales["y"], extent)
        _ui.set_data(self._truth, x=line_x, y=line_y)
        _ui.set_data(self._points, x=x, y=y)
        self.x, self.y = x, y

    def _code(self) -> str:
        low, high = self.x_range
        return (
            f"SimulationPanel(a={self.a:g}, b={self.b:g}, sigma={self.sigma:g}, n={self.n}, "
            f"x_range=({low:g}, {high:g}), seed={self.seed})"
        )
