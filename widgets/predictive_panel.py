"""PredictiveCheckPanel: do data replicated from the model look like the observed data."""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui, inference
from widgets._panel import Bands, Panel
from widgets.inference import TEST_STATISTICS, Fit, Priors
from widgets.tutorial import GRID_POINTS

PRIOR_DRAWS = 4000  # drawn once per input change; the draws slider shows a subset
HISTOGRAM_BINS = 40
# Inputs whose change draws the replicated data anew.
SOURCES = ("x", "y", "fit", "priors", "kind", "seed")


class PredictiveCheckPanel(Panel):
    """Prior or posterior predictive check: bands, data, and a test statistic.

    The top plot shows the 50% and 95% bands and the median of replicated ``y``
    over a grid of x, with the observed data on top. The bottom plot shows the
    histogram of a test statistic ``T`` (mean, sd, min, max or a quantile) over
    replicated data sets at the observed x, the observed ``T(y)``, and the
    predictive p-value ``P(T(y_rep) >= T(y))``: near 0 or 1, the model rarely
    reproduces that feature of the data.

    Bad input (a quantile outside [0, 1], fewer than 2 draws, data with NaN)
    is handled by a guarded update: the panel keeps its last good state, puts
    the inputs and controls back to it, and says why in the message area.

    Parameters
    ----------
    x, y : array_like, optional
        The observed data.
    fit : Fit, optional
        The posterior to check; needed for ``kind="posterior"``.
    priors : Priors, optional
        The priors to check with ``kind="prior"``; the tutorial's by default.
    **kwargs
        Initial values of the other traits below.

    Attributes
    ----------
    kind : {"posterior", "prior"}
        Which predictive distribution.
    statistic : {"mean", "sd", "min", "max", "quantile"}
        The test statistic.
    quantile : float
        Which quantile, for ``statistic="quantile"``.
    num_draws : int
        How many replicated data sets to use.
    seed : int
        Seed of the replicated draws.
    p_value : float
        The predictive p-value shown.
    code : str
        The panel as one line of code that runs where the panel was made: the
        data and the fit go by the names that held them there
        (``PredictiveCheckPanel(x_data, y_data, fit=result, ...)``); data no
        name held are written out as numbers, a fit no name held as ``None``.
    message : str
        The message shown; empty when all is well.
    """

    INPUTS = (*SOURCES, "statistic", "quantile", "num_draws")

    x = tr.Any(None, allow_none=True, help="Observed x.")
    y = tr.Any(None, allow_none=True, help="Observed y.")
    fit = tr.Instance(Fit, allow_none=True, help="The posterior to check.")
    priors = tr.Instance(Priors, help="The priors to check.")
    kind = tr.Enum(("posterior", "prior"), "posterior", help="Which predictive distribution.")
    statistic = tr.Enum(TEST_STATISTICS, "mean", help="The test statistic.")
    quantile = tr.Float(0.9, help="Which quantile, for statistic='quantile'.")
    num_draws = tr.Int(500, help="How many replicated data sets to use.")
    seed = tr.Int(0, help="Seed of the replicated draws.")
    p_value = tr.Float(float("nan"), help="The predictive p-value shown.")

    def __init__(self, x=None, y=None, *, fit: Fit | None = None, priors: Priors | None = None, **kwargs):
        super().__init__()
        self._names = _ui.CallerNames(x=x, y=y, fit=fit)  # what they are called where the panel is made
        self._draws: dict | None = None  # replicated y at the observed x and on the grid (last good)
        self.kind_buttons = ipw.ToggleButtons(
            options=["posterior", "prior"],
            description="check",
            tooltips=["posterior predictive", "prior predictive"],
            style={"description_width": _ui.LABEL_WIDTH},
        )
        self.statistic_choice = _ui.dropdown(
            "statistic T", list(TEST_STATISTICS), "mean", description="Test statistic of a data set"
        )
        self.quantile_slider = _ui.slider(
            "quantile q", 0.9, 0.0, 1.0, 0.01, description="Which quantile, for statistic 'quantile'"
        )
        self.draws_slider = _ui.slider(
            "draws", 500, 10, PRIOR_DRAWS, 10, integer=True, description="Number of replicated data sets"
        )
        self._tie(
            kind=self.kind_buttons,
            statistic=self.statistic_choice,
            quantile=self.quantile_slider,
            num_draws=self.draws_slider,
        )

        self.bands_figure, scales = _ui.figure("Replicated data: bands and median", "x", "y")
        self._bands = Bands(scales, "y_rep")
        self._data = _ui.scatter(scales, _ui.COLORS["data"], label="observed data")
        self.bands_figure.marks = [*self._bands.marks, self._data]
        bands_key = _ui.key(
            (_ui.COLORS["data"], "dot", "observed data"),
            (_ui.COLORS["band"], "band", "50% and 95% of replicated y"),
            (_ui.COLORS["band"], "line", "median"),
        )
        self.statistic_figure, stat_scales = _ui.figure("Test statistic", "T", "count", height="220px")
        stat_scales["y"].min = 0.0
        self._histogram = _ui.lines(stat_scales, _ui.COLORS["band"], width=2.5, label="T(replicated y)")
        self._observed = _ui.lines(stat_scales, _ui.COLORS["data"], width=3.0, label="T(observed y)")
        self.statistic_figure.marks = [self._histogram, self._observed]
        statistic_key = _ui.key(
            (_ui.COLORS["band"], "line", "T of each replicated data set"),
            (_ui.COLORS["data"], "line", "T of the observed data"),
        )
        self._readout = ipw.HTML()
        self.children = [
            _ui.heading("Predictive check"),
            ipw.HBox(
                [
                    ipw.VBox([self.kind_buttons, self.statistic_choice]),
                    ipw.VBox([self.quantile_slider, self.draws_slider], layout=ipw.Layout(width="24em")),
                ],
                layout=ipw.Layout(flex_flow="row wrap"),
            ),
            self.bands_figure,
            bands_key,
            self.statistic_figure,
            statistic_key,
            self._readout,
            *self._footer(),
        ]
        self.observe(self._on_source, names=list(SOURCES))
        self.observe(lambda _: self._update(), names=["statistic", "quantile", "num_draws"])
        self._set_initial(
            {"priors": priors if priors is not None else Priors(), "x": x, "y": y, "fit": fit, **kwargs}
        )
        self._update(replicate=True)

    def _on_source(self, change) -> None:
        """Inputs changed: draw replicated data anew, then redraw."""
        self._update(replicate=True)

    def _replicate(self) -> dict[str, np.ndarray]:
        if self.x is None or self.y is None:
            raise ValueError("no data yet: give the panel the observed x and y")
        x = inference.as_data("x", self.x)
        low, high = float(x.min()), float(x.max())
        grid = np.linspace(low, high, GRID_POINTS) if high > low else np.full(GRID_POINTS, low)
        if self.kind == "posterior":
            if self.fit is None:
                raise ValueError("no fit yet: fit the model first, or switch to the prior check")
            at_data = inference.posterior_predictive(self.fit, x, seed=self.seed)["y"]
            on_grid = inference.posterior_predictive(self.fit, grid, seed=self._grid_seed)["y"]
        else:
            at_data = self._prior_draws(x, seed=self.seed)
            on_grid = self._prior_draws(grid, seed=self._grid_seed)
        return {"at_data": at_data, "on_grid": on_grid, "grid": grid, "x": x}

    @property
    def _grid_seed(self) -> int:
        """The seed of the draws on the grid: the next one, wrapping at 2**32 (the largest seed too)."""
        return (self.seed + 1) % 2**32

    def _prior_draws(self, x: np.ndarray, *, seed: int) -> np.ndarray:
        return inference.prior_predictive(x, priors=self.priors, num_samples=PRIOR_DRAWS, seed=seed)["y"]

    def _draw(self, replicate: bool = False) -> None:
        # Replicated data are kept only once the whole update succeeds, so that
        # after a bad input they still match the inputs put back.
        draws = self._replicate() if replicate or self._draws is None else self._draws
        available = draws["at_data"].shape[0]
        if not 2 <= self.num_draws:
            raise ValueError(f"draws must be at least 2; got {self.num_draws}")
        count = min(self.num_draws, available)
        chosen = inference.spread_draws(available, count)
        observed_y = inference.as_data("y", self.y)
        replicated = inference.summary_statistic(draws["at_data"][chosen], self.statistic, q=self.quantile)
        observed = float(inference.summary_statistic(observed_y, self.statistic, q=self.quantile))
        p_value = inference.predictive_pvalue(replicated, observed)
        bands = inference.predictive_bands(draws["on_grid"][chosen])
        counts, edges = np.histogram(np.append(replicated, observed), bins=HISTOGRAM_BINS)
        counts, _ = np.histogram(replicated, bins=edges)

        grid = draws["grid"]
        self._bands.show(grid, bands)
        _ui.set_data(self._data, x=draws["x"], y=observed_y)
        _ui.set_data(self._histogram, x=np.repeat(edges, 2)[1:-1], y=np.repeat(counts, 2))
        _ui.vertical_lines(self._observed, [observed], (0.0, float(max(counts.max(), 1))))
        name = f"{self.quantile:g}-quantile" if self.statistic == "quantile" else self.statistic
        self.statistic_figure.title = f"Test statistic T = {name} of y ({count} replicated data sets)"
        self._readout.value = (
            f"{self.kind.capitalize()} predictive p-value P(T(y_rep) >= T(y)) = <b>{p_value:.3f}</b>"
            f" (observed T = {observed:.3g}). Near 0 or 1: the model rarely reproduces "
            f"the {name} of the data."
        )
        self.p_value = p_value
        self._draws = draws

    def _code(self) -> str:
        names = self._names
        source = f"priors={self.priors!r}" if self.kind == "prior" else f"fit={names.code('fit', self.fit)}"
        return (
            f"PredictiveCheckPanel({names.code('x', self.x)}, {names.code('y', self.y)}, {source}, "
            f"kind={self.kind!r}, statistic={self.statistic!r}, quantile={self.quantile:g}, "
            f"num_draws={self.num_draws}, seed={self.seed})"
        )
