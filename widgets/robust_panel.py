"""RobustRegressionPanel: drag a point, watch a Normal and a Student-t regression re-fit and re-score."""

from __future__ import annotations

import html

import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui
from widgets._panel import Panel
from widgets.inference import HDI_PROB, as_data
from widgets.inference.comparison import comparison_table, high_k_points, loo
from widgets.inference.models import linear_regression, student_t_regression
from widgets.inference.outliers import CAPACITY, fit_padded, fit_padded_needs_compiling, padded
from widgets.tutorial import GRID_POINTS, X_RANGE

MODELS = {"normal": linear_regression, "student_t": student_t_regression}
"""The two models, by the names the table and ``k_model`` use; fitted padded (``fit_padded``)."""

MODEL_TITLES = {"normal": "Normal", "student_t": "Student-t"}
# Okabe-Ito: blue for the Normal model, bluish green for the Student-t; points
# grey while their Pareto k is fine, vermillion above good_k.
MODEL_COLORS = {"normal": _ui.COLORS["band"], "student_t": _ui.COLORS["truth"]}
# Grey at >= 3:1 on light and dark themes alike (#999999 was 2.85:1 on white).
K_COLORS = {"ok": "#808080", "high": _ui.COLORS["data"]}
MODES = ("drag", "add", "remove")
_MODE_HELP = {
    "drag": "drag a point; both models re-fit when you let go",
    "add": "click on the plot to add a point there",
    "remove": "click a point to remove it",
}
X_SPAN = (X_RANGE[0] - 0.5, X_RANGE[1] + 0.5)
COMPILING = "compiling the two samplers (once per process, for up to {} points)...".format(CAPACITY)


def comparison_html(table) -> str:
    """The comparison table (:func:`widgets.inference.comparison.comparison_table`) as theme-coloured HTML."""
    return _ui.table_html(
        table,
        index_label="model",
        columns=("elpd_loo", "se", "elpd_diff", "dse", "weight", "p_loo"),
        row_titles=MODEL_TITLES,
        default_format="{:.2f}",
    )


def comparison_text(table) -> str:
    """The comparison in words: which model predicts better, whether by more than 2 dse, and how reliably.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~widgets.inference.comparison.comparison_table` of the two
        models, best first.

    Returns
    -------
    str
        The leader and its ``elpd_diff`` against twice its standard error
        ``dse`` (a smaller margin is no clear winner), and the models whose
        LOO carries ArviZ's warning (a Pareto k above ``good_k``).
    """
    best, other = table.index[0], table.index[1]
    diff, dse = float(table.loc[other, "elpd_diff"]), float(table.loc[other, "dse"])
    if dse == 0:
        text = f"No clear winner: both models score every point alike (elpd_diff = {diff:.1f}, dse = 0)."
    elif diff > 2 * dse:
        text = (
            f"{MODEL_TITLES[best]} predicts left-out points better: elpd_diff = {diff:.1f} is "
            f"{diff / dse:.1f} times its standard error dse = {dse:.1f}."
        )
    else:
        text = (
            f"No clear winner: {MODEL_TITLES[best]} leads by elpd_diff = {diff:.1f}, only "
            f"{diff / dse:.1f} times its standard error dse = {dse:.1f} (under 2, LOO cannot tell "
            "the models apart)."
        )
    warned = [MODEL_TITLES[name] for name in table.index if bool(table.loc[name, "warning"])]
    if warned:
        several = len(warned) > 1
        text += (
            f" The {' and '.join(warned)} LOO{'s have' if several else ' has'} a Pareto k above good_k: "
            f"{'their' if several else 'its'} elpd, and this comparison, are not fully reliable."
        )
    return text


class RobustRegressionPanel(Panel):
    """Drag, add or remove data points; a Normal and a Student-t regression re-fit and are compared by LOO.

    Both models are fitted with NUTS to the points padded to ``CAPACITY``
    (128) entries with a mask (:func:`widgets.inference.outliers.fit_padded`),
    so that a point moved, added or removed re-fits with the samplers already
    compiled: only the first fit of the process compiles (none if a lesson
    has already fitted its own data with ``fit_padded``). A drag re-fits
    when the point is let go, with a progress bar. The plot shows each
    model's posterior mean line and the central 94% interval of its line
    ``a * x + b`` (not of y); points are coloured by their Pareto k in the
    LOO of the model chosen in ``k_model``: vermillion above ArviZ's
    ``good_k`` for the number of draws, grey below. The table is ArviZ's
    comparison (:func:`widgets.inference.comparison.comparison_table`):
    elpd_loo, its se, elpd_diff from the best model with its standard error
    dse, the stacking weight and p_loo.

    Bad input (x or y with NaN set from code, every point removed, more
    than ``CAPACITY`` points, x and y of different lengths) is handled by a
    guarded update: the panel keeps its last good data, fits, picture and
    table, puts the points back, and says why in the message area.

    Parameters
    ----------
    x, y : array_like
        The data, 2 to ``CAPACITY`` points.
    **kwargs
        Initial values of the other traits below.

    Attributes
    ----------
    x, y : numpy.ndarray
        The data (the last good ones), float32.
    k_model : {"normal", "student_t"}
        Whose Pareto k colour the points.
    mode : {"drag", "add", "remove"}
        What the mouse does on the plot.
    num_warmup, num_samples, num_chains, seed : int
        The NUTS run of each model.
    fits : dict of str to Fit
        The last fits, by model name.
    scores : dict of str to arviz.ELPDData
        Each model's PSIS-LOO (pointwise), by model name.
    table : pandas.DataFrame
        The comparison shown, best model first.
    good_k : float
        ArviZ's Pareto k threshold for this many draws.
    high_k : dict of str to tuple of int
        The indices of each model's points with Pareto k above `good_k`.
    code : str
        The panel as one line of code: the data by the names that held them
        where the panel was made, or written out once a point has moved.
    message : str
        The message shown; empty when all is well.
    """

    INPUTS = ("x", "y", "num_warmup", "num_samples", "num_chains", "seed")

    x = tr.Any(None, allow_none=True, help="x of the data points.")
    y = tr.Any(None, allow_none=True, help="y of the data points.")
    k_model = tr.Enum(tuple(MODELS), "normal", help="Whose Pareto k colour the points.")
    mode = tr.Enum(MODES, "drag", help="What the mouse does on the plot.")
    num_warmup = tr.Int(500, help="Warmup iterations per chain.")
    num_samples = tr.Int(1000, help="Kept draws per chain.")
    num_chains = tr.Int(4, help="Number of chains.")
    seed = tr.Int(0, help="Seed of the fits.")
    fits = tr.Dict(help="The last fits, by model name.")
    scores = tr.Dict(help="Each model's PSIS-LOO, by model name.")
    table = tr.Any(None, allow_none=True, help="The comparison table shown, best model first.")
    good_k = tr.Float(float("nan"), help="ArviZ's Pareto k threshold for this many draws.")
    high_k = tr.Dict(help="Indices of each model's points with Pareto k above good_k.")

    def __init__(self, x, y, **kwargs):
        super().__init__()
        self._names = _ui.CallerNames(x=x, y=y)  # what x and y are called where the panel is made
        self.mode_buttons = ipw.ToggleButtons(
            options=list(MODES),
            description="mouse",
            tooltips=[_MODE_HELP[mode] for mode in MODES],
            style={"description_width": "initial"},
        )
        self.k_buttons = ipw.ToggleButtons(
            options=[(MODEL_TITLES[name], name) for name in MODELS],
            description="colour by k of",
            tooltips=[f"Pareto k of each point in the {MODEL_TITLES[name]} model's LOO" for name in MODELS],
            style={"description_width": "initial"},
        )
        self._tie(mode=self.mode_buttons, k_model=self.k_buttons)
        self.progress = _ui.progress_bar("re-fit")
        self.status_label = ipw.Label("")

        self.figure, self._scales = _ui.figure(
            "Data, posterior mean lines, central 94% of each line", "x", "y", x_range=X_SPAN, height="340px"
        )
        self._bands, self._lines = {}, {}
        for name in MODELS:
            color, title = MODEL_COLORS[name], MODEL_TITLES[name]
            self._bands[name] = _ui.band(self._scales, color, opacity=0.2, label=f"{title} 94% band")
            self._lines[name] = _ui.lines(
                self._scales, color, label=f"{title} mean line", dashed=name == "student_t"
            )
        self.points = _ui.scatter(self._scales, K_COLORS["ok"], size=40, opacity=1.0, label="data")
        self.points.stroke = "black"
        self.points.update_on_move = False  # re-fit when a dragged point is let go
        self.figure.marks = [*self._bands.values(), *self._lines.values(), self.points]
        self._key = _ui.key(
            (MODEL_COLORS["normal"], "line", "Normal: mean line, central 94% of a*x+b"),
            (MODEL_COLORS["student_t"], "dashed", "Student-t: mean line, central 94% of a*x+b"),
            (K_COLORS["ok"], "dot", "Pareto k <= good_k"),
            (K_COLORS["high"], "dot", "Pareto k > good_k"),
        )
        self.table_html = ipw.HTML()
        self._readout = ipw.HTML()
        self.children = [
            _ui.heading("Robust regression: drag the data, compare the models by LOO"),
            ipw.HBox([self.mode_buttons, self.k_buttons], layout=ipw.Layout(flex_flow="row wrap")),
            ipw.HBox([self.progress, self.status_label]),
            self.figure,
            self._key,
            self.table_html,
            self._readout,
            *self._footer(sliders=False),
        ]
        self.points.observe(self._on_points, names=["x", "y"])
        self.observe(self._on_mode, names="mode")
        self.observe(lambda _: self._update(), names=list(self.INPUTS))
        self.observe(lambda _: self._update(refit=False), names="k_model")
        self._set_initial({"x": x, "y": y, **kwargs})
        self._on_mode()
        self._update()

    # -- the points on the plot ----------------------------------------------

    def _on_points(self, change) -> None:
        """The browser moved, added or removed a point: take the scatter's data as the panel's."""
        if self._held:
            return  # the panel's own redraw, or putting the points back
        x, y = np.asarray(self.points.x, np.float32), np.asarray(self.points.y, np.float32)
        if _ui.equal_data(x, self.x) and _ui.equal_data(y, self.y):
            return  # the other half of a move already taken
        with self._holding():
            self.x, self.y = x, y
        self._update()

    def _on_mode(self, change=None) -> None:
        interactions = {"drag": {}, "add": {"click": "add"}, "remove": {"click": "delete"}}[self.mode]
        with self.points.hold_sync():
            self.points.enable_move = self.mode == "drag"
            self.points.interactions = interactions

    def _restore(self) -> None:
        super()._restore()
        if self._last_good.values is not None:  # the points go back where they were
            with self._holding():
                _ui.set_data(self.points, x=self.x, y=self.y)

    # -- fitting and drawing -------------------------------------------------

    def _data(self) -> tuple[np.ndarray, np.ndarray]:
        if self.x is None or self.y is None:
            raise ValueError("no data: give the panel x and y")
        x, y = as_data("x", self.x), as_data("y", self.y)
        if x.size != y.size:
            raise ValueError(f"x and y must have the same length; got {x.size} and {y.size}")
        if x.size < 2:
            raise ValueError(f"at least 2 points are needed to fit and compare the models; got {x.size}")
        padded(x, y)  # refuses more than CAPACITY points before any fit runs
        return x, y

    def _fit_all(self, x: np.ndarray, y: np.ndarray) -> dict:
        options = {
            "num_warmup": self.num_warmup,
            "num_samples": self.num_samples,
            "num_chains": self.num_chains,
            "seed": self.seed,
        }
        compiles = any(
            fit_padded_needs_compiling(model=model, num_chains=self.num_chains) for model in MODELS.values()
        )
        self.status_label.value = COMPILING if compiles else "re-fitting both models..."
        fits = {}
        for index, (name, model) in enumerate(MODELS.items()):

            def progress(fraction, index=index):
                self.progress.value = (index + fraction) / len(MODELS)

            fits[name] = fit_padded(x, y, model=model, progress=progress, **options)
        return fits

    def _draw(self, refit: bool = True) -> None:
        if refit or not self.fits:
            x, y = self._data()
            try:
                fits = self._fit_all(x, y)
            finally:
                self.status_label.value = ""
            scores = {name: loo(fit) for name, fit in fits.items()}
            table = comparison_table(scores)
        else:
            fits, scores, table = self.fits, self.scores, self.table
            x, y = np.asarray(self.x, np.float32), np.asarray(self.y, np.float32)
        good_k = float(scores[self.k_model]["good_k"])
        high_k = {name: tuple(int(i) for i in high_k_points(score)) for name, score in scores.items()}

        grid = np.linspace(*X_SPAN, GRID_POINTS)
        for name, fit in fits.items():
            lines = fit.samples["a"].reshape(-1, 1) * grid + fit.samples["b"].reshape(-1, 1)
            tail = 50 * (1 - HDI_PROB)
            low, high = np.percentile(lines, [tail, 100 - tail], axis=0)
            _ui.set_data(self._bands[name], x=grid, y=[low, high])
            _ui.set_data(self._lines[name], x=grid, y=lines.mean(axis=0))
        flagged = np.isin(np.arange(x.size), high_k[self.k_model])
        _ui.round_out(self._scales["y"], y, widen_only=True)
        with self._holding(), self.points.hold_sync():
            _ui.set_data(self.points, x=x, y=y)
            self.points.colors = [K_COLORS["high"] if f else K_COLORS["ok"] for f in flagged]
        self.table_html.value = comparison_html(table)
        flagged_text = ", ".join(map(str, high_k[self.k_model])) or "none"
        self._readout.value = html.escape(
            f"{comparison_text(table)} {MODEL_TITLES[self.k_model]} model's points (numbered from 0) "
            f"with Pareto k > good_k = {good_k:.2f}: {flagged_text}."
        )
        self.fits, self.scores, self.table = fits, scores, table
        self.good_k, self.high_k = good_k, high_k

    def _code(self) -> str:
        return (
            f"RobustRegressionPanel({self._names.code('x', self.x)}, {self._names.code('y', self.y)}, "
            f"k_model={self.k_model!r}, num_warmup={self.num_warmup}, num_samples={self.num_samples}, "
            f"num_chains={self.num_chains}, seed={self.seed})"
        )
