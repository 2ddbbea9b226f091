"""PriorPanel: choose the priors and see, live, the data they imply."""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np
import traitlets as tr
from numpyro.distributions import constraints

from widgets import _ui, inference
from widgets._panel import Bands, Panel
from widgets.families import FAMILIES, Family, Hyper, family_of
from widgets.inference import Priors
from widgets.tutorial import (
    DENSITY_RANGES,
    GRID_POINTS,
    PLAUSIBLE_Y,
    SITE_TITLES,
    SITES,
    X_RANGE,
    density_grid,
)

SHOWN_LINES = 30


def slider_range(family: Family, hyper: Hyper, value: float) -> tuple[float, float]:
    """The range of `hyper`'s slider: only values the family accepts, and `value`.

    A hyperparameter that must be above a bound (a scale > 0) starts one step
    above it, so that neither a drag nor the Home key reaches an invalid prior.
    The range widens to hold a value set from code beyond it.
    """
    low, high = hyper.low, hyper.high
    constraint = family.cls.arg_constraints[hyper.name]
    bound = getattr(constraint, "lower_bound", None)
    if not constraints.is_dependent(constraint) and bound is not None and not bool(constraint(bound)):
        low = max(low, round(float(bound) + hyper.step, 10))
    if np.isfinite(value):
        low, high = min(low, float(value)), max(high, float(value))
    return low, high


class PriorPanel(Panel):
    """Choose a family and hyperparameters for each prior; see what they imply.

    For each of ``a``, ``b`` and ``sigma``: a family, sliders for its
    hyperparameters and the prior density. Below: regression lines drawn from
    the priors over the x range, the 50% and 95% bands of prior predictive
    ``y``, and the share of ``y`` outside the range the student finds plausible.
    Every slider move redraws without compiling: the draws come from one
    compiled function whose hyperparameters are arguments.

    A slider offers only values its family accepts (a scale starts one step
    above 0). Other bad input (Uniform's low above its high, an empty range, a
    NaN set from Python) is handled by a guarded update: the panel keeps its
    last good priors and ranges, puts the controls back to them, and says why
    in the message area; the next good change (a family switch, say) applies.

    Parameters
    ----------
    priors : Priors, optional
        Where to start; the tutorial's priors by default.
    num_draws : int
        Prior predictive draws per redraw (fixed, so nothing recompiles).
    **kwargs
        Initial values of the traits below.

    Attributes
    ----------
    priors : Priors
        The priors shown: the last valid choice. Setting it moves the controls.
    x_range : tuple of float
        The x range over which prior predictive draws are plotted.
    plausible : tuple of float
        The range of y the student considers plausible.
    outside_share : float
        Share of prior predictive y (over the x range) outside `plausible`.
    seed : int
        Seed of the prior predictive draws ("New draws" adds one).
    code : str
        The priors as one line of code for an answer cell.
    message : str
        The message shown (empty when all is well).
    """

    INPUTS = ("x_range", "plausible", "seed")

    priors = tr.Instance(Priors, help="The priors shown: the last valid choice.")
    x_range = tr.Tuple(tr.Float(), tr.Float(), default_value=X_RANGE, help="x range plotted.")
    plausible = tr.Tuple(tr.Float(), tr.Float(), default_value=PLAUSIBLE_Y, help="Plausible range of y.")
    outside_share = tr.Float(help="Share of prior predictive y outside the plausible range.")
    seed = tr.Int(0, help="Seed of the prior predictive draws.")

    def __init__(self, priors: Priors | None = None, *, num_draws: int = 100, **kwargs):
        super().__init__()
        if not isinstance(num_draws, int) or num_draws < 2:
            raise ValueError(f"num_draws must be an integer >= 2; got {num_draws!r}")
        self.num_draws = num_draws
        self._set_initial(kwargs)
        self.family_controls: dict[str, ipw.Dropdown] = {}
        self.hyper_controls: dict[str, dict[str, ipw.FloatSlider]] = {}
        self._slider_boxes: dict[str, ipw.VBox] = {}
        self.density_figures = {}
        self._density_marks = {}
        self._density_grids = {site: density_grid(site) for site in SITES}
        columns = [self._site_column(site) for site in SITES]

        self.figure, scales = _ui.figure("Prior predictive: lines and bands of y", "x", "y")
        self._scales = scales
        self._plausible_band = _ui.band(scales, _ui.COLORS["truth"], opacity=0.22, label="plausible y")
        self._bands = Bands(scales, "y")
        self._lines = _ui.lines(
            scales, _ui.COLORS["draws"], opacity=0.35, width=1.0, label="regression lines"
        )
        band95, band50, median = self._bands.marks
        self.figure.marks = [self._plausible_band, band95, band50, self._lines, median]
        self._key = _ui.key(
            (_ui.COLORS["truth"], "band", "plausible y"),
            (_ui.COLORS["band"], "band", "50% and 95% of prior predictive y"),
            (_ui.COLORS["band"], "line", "median y"),
            (_ui.COLORS["draws"], "line", f"a*x + b for {SHOWN_LINES} prior draws"),
        )

        x_row, self.x_low, self.x_high = self._range_row(
            "x_range", "x range", description="x range of the predictive plot"
        )
        y_row, self.plausible_low, self.plausible_high = self._range_row(
            "plausible", "plausible y", description="range of y you find plausible"
        )
        self._readout = ipw.HTML()
        self.reset_button = _ui.button("Reset", description="Back to the tutorial's priors", icon="undo")
        self.redraw_button = _ui.button(
            "New draws", description="Draw new prior predictive samples", icon="refresh"
        )

        self.children = [
            _ui.heading("Priors"),
            ipw.HBox(columns, layout=ipw.Layout(flex_flow="row wrap")),
            self.figure,
            self._key,
            x_row,
            y_row,
            self._readout,
            ipw.HBox([self.reset_button, self.redraw_button]),
            *self._footer(),
        ]

        self.reset_button.on_click(lambda _: self.reset())
        self.redraw_button.on_click(lambda _: setattr(self, "seed", self.seed + 1))
        self.observe(self._on_priors, names="priors")
        self.observe(lambda _: self._update(), names=["x_range", "plausible", "seed"])

        self.priors = priors if priors is not None else Priors()

    # -- building ------------------------------------------------------------

    def __repr__(self) -> str:
        return f"PriorPanel(priors={self.priors!r})"

    def _site_column(self, site: str) -> ipw.VBox:
        family = _ui.dropdown(
            f"{site} family",
            list(FAMILIES[site]),
            next(iter(FAMILIES[site])),
            description=f"Distribution family of the prior on {SITE_TITLES[site]}",
        )
        family.observe(lambda change, site=site: self._on_family(site, change), names="value")
        self.family_controls[site] = family
        self._slider_boxes[site] = ipw.VBox()
        fig, scales = _ui.figure(
            f"prior of {SITE_TITLES[site]}",
            site,
            "density",
            x_range=DENSITY_RANGES[site],
            height="180px",
            y_values=False,
        )
        scales["y"].min = 0.0
        mark = _ui.lines(scales, _ui.COLORS["density"], label="prior density")
        fig.marks = [mark]
        self._density_marks[site] = mark
        self.density_figures[site] = fig
        return ipw.VBox(
            [family, self._slider_boxes[site], fig], layout=ipw.Layout(width="33%", min_width="270px")
        )

    def _make_sliders(self, site: str, family_name: str, values: dict[str, float]) -> None:
        family = FAMILIES[site][family_name]
        sliders = {}
        for hyper in family.hypers:
            value = values.get(hyper.name, hyper.default)
            low, high = slider_range(family, hyper, value)
            slider = _ui.slider(
                f"{site}: {hyper.name}",
                value,
                low,
                high,
                hyper.step,
                description=f"{hyper.name} of the {family_name} prior on {SITE_TITLES[site]}",
            )
            slider.observe(lambda change: _ui.moved(change) and self._update(), names="value")
            sliders[hyper.name] = slider
        self.hyper_controls[site] = sliders
        self._slider_boxes[site].children = list(sliders.values())

    # -- reacting ------------------------------------------------------------

    def _on_family(self, site: str, change) -> None:
        if self._held:
            return
        # Keep the values of hyperparameters the two families share (loc, scale).
        kept = {name: s.value for name, s in self.hyper_controls.get(site, {}).items()}
        self._make_sliders(site, change["new"], kept)
        self._update()

    def _on_priors(self, change) -> None:
        if not self._held:
            self._show_priors(change["new"])

    def _show_priors(self, priors: Priors) -> None:
        """Set every control to `priors`, then redraw once."""
        self._set_controls(priors)
        self._update()

    def _set_controls(self, priors: Priors) -> None:
        """Set every control to `priors`, without redrawing.

        A site whose family stays keeps its sliders (a slider being dragged is
        not replaced under the pointer); a slider's range widens to hold a
        value beyond it.
        """
        with self._holding():
            for site in SITES:
                family, values = family_of(site, getattr(priors, site))
                sliders = self.hyper_controls.get(site, {})
                if self.family_controls[site].value != family.name or set(sliders) != set(values):
                    self.family_controls[site].value = family.name
                    self._make_sliders(site, family.name, values)
                    continue
                for hyper in family.hypers:
                    slider, value = sliders[hyper.name], values[hyper.name]
                    low, high = slider_range(family, hyper, value)
                    if (slider.min, slider.max) != (low, high):
                        # Through the union of both ranges, so that min never passes max.
                        slider.min, slider.max = min(slider.min, low), max(slider.max, high)
                        slider.min, slider.max = low, high
                    if not _ui._same(slider.value, value):
                        slider.value = value

    def _restore(self) -> None:
        """After a bad input: ranges and controls back to the last good state, no redraw."""
        super()._restore()
        self._set_controls(self.priors)

    def reset(self) -> None:
        """Go back to the tutorial's priors and ranges."""
        self.x_range, self.plausible = X_RANGE, PLAUSIBLE_Y
        # Set the controls even when `priors` already equals Priors(): a bad
        # slider value never reaches `priors`, so assigning it would not fire.
        self._show_priors(Priors())

    # -- computing and drawing ---------------------------------------------

    def _priors_from_controls(self) -> Priors:
        chosen = {}
        for site in SITES:
            family = FAMILIES[site][self.family_controls[site].value]
            values = {name: s.value for name, s in self.hyper_controls[site].items()}
            try:
                chosen[site] = family.build(**values)
            except ValueError as err:
                raise ValueError(f"prior on {site}: {err}") from None
        return Priors(**chosen)

    def _draw(self) -> None:
        priors = self._priors_from_controls()
        x_low, x_high = _ui.checked_range("x range", self.x_range)
        y_low, y_high = _ui.checked_range("plausible y", self.plausible)
        grid = np.linspace(x_low, x_high, GRID_POINTS)
        draws = inference.prior_predictive(grid, priors=priors, num_samples=self.num_draws, seed=self.seed)
        densities = inference.prior_densities(priors, self._density_grids)
        bands = inference.predictive_bands(draws["y"])
        outside = float(np.mean((draws["y"] < y_low) | (draws["y"] > y_high)))
        shown = slice(0, min(SHOWN_LINES, self.num_draws))
        line_ys = draws["a"][shown, None] * grid + draws["b"][shown, None]

        # The predictive figure first: the browser redraws in the order the updates arrive.
        width = y_high - y_low
        with self._scales["y"].hold_sync():
            self._scales["y"].min, self._scales["y"].max = y_low - width / 2, y_high + width / 2
        with self._scales["x"].hold_sync():
            self._scales["x"].min, self._scales["x"].max = x_low, x_high
        _ui.set_data(self._plausible_band, x=grid, y=[np.full_like(grid, y_low), np.full_like(grid, y_high)])
        self._bands.show(grid, bands)
        _ui.set_data(self._lines, x=grid, y=line_ys)
        for site, mark in self._density_marks.items():
            _ui.set_data(mark, x=self._density_grids[site], y=densities[site])
        self._readout.value = (
            f"<b>{outside:.1%}</b> of prior predictive y over x in [{x_low:g}, {x_high:g}] "
            f"falls outside the plausible range [{y_low:g}, {y_high:g}] "
            f"(from {self.num_draws:,} prior draws: New draws moves it a little)."
        )
        self.outside_share = outside
        with self._holding():
            self.priors = priors

    def _code(self) -> str:
        return repr(self.priors)
