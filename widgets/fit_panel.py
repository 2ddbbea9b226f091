"""FitPanel: fit the model with NUTS, watch the progress, read the diagnostics."""

from __future__ import annotations

import threading

import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui, inference
from widgets._panel import Panel
from widgets.inference import Fit, Priors
from widgets.tutorial import SITES

# What the panel says while the first fit of a data length, chain count and prior family compiles.
COMPILING = "compiling the sampler (once per data length, number of chains and prior family)..."
# The run lengths one compiled sampler serves (see widgets.inference.fit).
_RUN_LENGTHS = {"num_warmup": (0, inference.MAX_NUM_WARMUP), "num_samples": (1, inference.MAX_NUM_SAMPLES)}


def summary_table_html(fit: Fit) -> str:
    """The ArviZ summary of `fit` as an HTML table that follows the theme's colours."""
    return _ui.table_html(fit.summary(), formats={"ess_bulk": "{:.0f}", "ess_tail": "{:.0f}"})


class FitPanel(Panel):
    """Fit the regression to data with NUTS and see what the posterior says.

    The Fit button runs :func:`widgets.inference.fit` in a background thread
    with a progress bar, so the notebook stays responsive. Then it shows the
    ArviZ summary (mean, sd, 94% HDI, ESS, R-hat), each parameter's posterior
    density (with the true value when known) and a plain-language warning when
    there are divergences, R-hat > 1.01 or bulk ESS < 400.

    The sampler compiles once per data length, number of chains and prior
    family; any warmup in [0, 10,000] and samples in [1, 10,000] re-use it
    (``inference.MAX_NUM_WARMUP``, ``inference.MAX_NUM_SAMPLES``), so trying
    run lengths re-fits in about a tenth of a second. A value outside these
    ranges is refused: the panel keeps its last good value and says why
    (bad input never raises; the message area shows it, as for a failed fit).

    Parameters
    ----------
    x, y : array_like, optional
        The data; they can also be set later as traits.
    priors : Priors, optional
        The priors; the tutorial's by default.
    true_values : dict of str to float, optional
        Known true ``a``, ``b``, ``sigma``, drawn as reference lines.
    **kwargs
        Initial values of the other traits below.

    Attributes
    ----------
    x, y : numpy.ndarray
        The data to fit.
    priors : Priors
        The priors to fit with.
    num_warmup, num_samples, num_chains, seed : int
        Settings of the run; warmup in [0, 10,000], samples in [1, 10,000].
    true_values : dict
        Known true parameter values, or empty.
    fit : Fit or None
        The last completed fit.
    stale : bool
        True when the data, priors or settings changed since `fit` ran.
    running : bool
        True while a fit runs.
    verdict : str
        What the diagnostics of the last fit say, in words.
    code : str
        The panel as one line of code that runs where the panel was made: the
        data go by the names that held them there (``FitPanel(x_data, y_data,
        ...)``), or as lists of numbers when no name held them or they were
        set later.
    message : str
        The message shown; empty when all is well.
    """

    x = tr.Any(None, allow_none=True, help="x of the data.")
    y = tr.Any(None, allow_none=True, help="y of the data.")
    priors = tr.Instance(Priors, help="The priors to fit with.")
    num_warmup = tr.Int(500, help="Warmup iterations per chain, in [0, 10,000].")
    num_samples = tr.Int(1000, help="Kept draws per chain, in [1, 10,000].")
    num_chains = tr.Int(4, help="Number of chains.")
    seed = tr.Int(0, help="Seed of the run.")
    true_values = tr.Dict(help="Known true values of a, b, sigma.")
    fit = tr.Instance(Fit, allow_none=True, help="The last completed fit.")
    stale = tr.Bool(False, help="Whether the inputs changed since the last fit.")
    running = tr.Bool(False, help="Whether a fit is running.")
    verdict = tr.Unicode(help="The diagnostics of the last fit, in words.")

    def __init__(self, x=None, y=None, *, priors: Priors | None = None, **kwargs):
        super().__init__()
        self._names = _ui.CallerNames(x=x, y=y)  # what x and y are called where the panel is made
        self._thread: threading.Thread | None = None
        self._peak: dict[str, float] = {}  # height of each posterior density, for the truth line
        self.fit_button = _ui.button("Fit", description="Run NUTS on the data", icon="play", style="primary")
        self.progress = _ui.progress_bar("progress")
        self.status_label = ipw.Label("")
        settings = {
            # The ranges one compiled sampler serves: any value in them re-fits without compiling.
            "num_warmup": _ui.int_box(
                "warmup", low=0, high=inference.MAX_NUM_WARMUP, description="num_warmup of the NUTS run"
            ),
            "num_samples": _ui.int_box(
                "samples", low=1, high=inference.MAX_NUM_SAMPLES, description="num_samples of the NUTS run"
            ),
            "num_chains": _ui.int_box("chains", low=1, high=16, description="num_chains of the NUTS run"),
            "seed": _ui.int_box("seed", description="seed of the NUTS run"),
        }
        self._tie(**settings)
        self.settings = settings
        self.stale_notice = _ui.MessageArea()
        self.summary_table = ipw.HTML()
        self.verdict_area = _ui.MessageArea()
        self._density_marks, self._truth_marks, figures = {}, {}, []
        self.density_figures = {}
        for name in SITES:
            fig, scales = _ui.figure(
                f"posterior of {name}", name, "density", height="200px", y_values=False, narrow=True
            )
            scales["y"].min = 0.0
            # No x tick labels until there is a posterior to read: on an empty scale
            # bqplot would label its padded default domain (-0.0041 ... 1). Hidden by
            # style: num_ticks=0 breaks bqplot's tick formatter when data arrive.
            fig.axes[0].tick_style = {**fig.axes[0].tick_style, "display": "none"}
            self._density_marks[name] = _ui.lines(scales, _ui.COLORS["density"], label="posterior density")
            self.density_figures[name] = fig
            self._truth_marks[name] = _ui.lines(scales, _ui.COLORS["truth"], dashed=True, label="true value")
            fig.marks = [self._density_marks[name], self._truth_marks[name]]
            figures.append(ipw.Box([fig], layout=ipw.Layout(width="33%", min_width="240px")))
        self.children = [
            _ui.heading("Fit with NUTS"),
            ipw.HBox(list(settings.values()), layout=ipw.Layout(flex_flow="row wrap")),
            ipw.HBox([self.fit_button, self.progress, self.status_label]),
            self.stale_notice,
            self.summary_table,
            ipw.HBox(figures, layout=ipw.Layout(flex_flow="row wrap")),
            _ui.key(
                (_ui.COLORS["density"], "line", "posterior density (histogram of the draws)"),
                (_ui.COLORS["truth"], "dashed", "true value, when known"),
            ),
            self.verdict_area,
            *self._footer(sliders=False),
        ]
        self.fit_button.on_click(lambda _: self.start())
        self.observe(
            self._on_inputs, names=["x", "y", "priors", "num_warmup", "num_samples", "num_chains", "seed"]
        )
        self.observe(lambda _: self._draw_truth(), names="true_values")
        self._set_initial({"priors": priors if priors is not None else Priors(), "x": x, "y": y, **kwargs})
        self._show_code()

    # -- running -------------------------------------------------------------

    def start(self) -> None:
        """Start a fit in the background (what the Fit button does)."""
        if self.running:
            self._message.show("A fit is already running; wait for it to finish.", "note")
            return
        self.running = True
        self.fit_button.disabled = True
        self._thread = threading.Thread(target=self.run, name="FitPanel fit", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the fit started by :meth:`start` is done."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Fit now, in this thread, and show the result; errors go to the message area."""
        self.running = True
        self.fit_button.disabled = True
        self.progress.value = 0.0
        self.status_label.value = "starting..."
        try:
            with self._message.guard():
                if self.x is None or self.y is None:
                    raise ValueError("no data yet: give the panel x and y (or simulate some)")
                compiles = inference.fit_needs_compiling(
                    self.x, priors=self.priors, num_chains=self.num_chains
                )
                self.status_label.value = COMPILING if compiles else "sampling..."
                result = inference.fit(
                    self.x,
                    self.y,
                    priors=self.priors,
                    num_warmup=self.num_warmup,
                    num_samples=self.num_samples,
                    num_chains=self.num_chains,
                    seed=self.seed,
                    progress=self._on_progress,
                )
                self._show(result)
                self.fit = result
                self.stale = False
                self.stale_notice.clear()
        finally:
            self.running = False
            self.fit_button.disabled = False
            self.status_label.value = "" if self.fit is None or self.message else "done"

    def _on_progress(self, fraction: float) -> None:
        self.progress.value = fraction
        if fraction > 0:
            self.status_label.value = f"sampling: {fraction:.0%}"

    # -- showing -------------------------------------------------------------

    def _show(self, result: Fit) -> None:
        self.summary_table.value = summary_table_html(result)
        for name in SITES:
            if name in result.samples:
                density, edges = np.histogram(result.samples[name].ravel(), bins=40, density=True)
                _ui.set_data(self._density_marks[name], x=(edges[:-1] + edges[1:]) / 2, y=density)
                x_axis = self.density_figures[name].axes[0]
                x_axis.tick_style = {**x_axis.tick_style, "display": "inline"}  # SVG text's default
        self._peak = {
            name: float(np.max(self._density_marks[name].y)) for name in SITES if name in result.samples
        }
        self._draw_truth()
        diagnostics = result.diagnostics
        self.verdict_area.show(diagnostics.verdict, "ok" if diagnostics.ok else "warning")
        self.verdict = diagnostics.verdict

    def _draw_truth(self) -> None:
        for name in SITES:
            peak = self._peak.get(name)
            if name in self.true_values and peak:
                _ui.vertical_lines(self._truth_marks[name], [self.true_values[name]], (0.0, peak))
            else:
                _ui.set_data(self._truth_marks[name], x=np.zeros(0), y=np.zeros(0))

    @tr.validate("num_warmup", "num_samples")
    def _valid_run_length(self, proposal):
        """Keep the last good run length, and say why, for one the sampler does not serve.

        A rule on one trait, not across traits, so a validator: a refused run
        length never lands, and a fit shown does not turn stale for it.
        """
        name, value = proposal["trait"].name, proposal["value"]
        low, high = _RUN_LENGTHS[name]
        old = getattr(self, name)
        if low <= value <= high:
            if self._message.text.startswith(f"{name} must be"):
                self._message.clear()
            return value
        self._message.show(
            f"{name} must be in [{low:,}, {high:,}], the run lengths one compiled sampler serves; "
            f"got {value:,}. Kept {old:,}."
        )
        return old

    def _on_inputs(self, change) -> None:
        if self.fit is not None and not self.stale:
            self.stale = True
            self.stale_notice.show(
                f"The fit below is stale: {change['name']} changed since it ran. Press Fit again.",
                "warning",
            )
        self._show_code()

    def _code(self) -> str:
        return (
            f"FitPanel({self._names.code('x', self.x)}, {self._names.code('y', self.y)}, "
            f"priors={self.priors!r}, num_warmup={self.num_warmup}, "
            f"num_samples={self.num_samples}, num_chains={self.num_chains}, seed={self.seed})"
        )
