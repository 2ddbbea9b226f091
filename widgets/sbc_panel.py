"""SBCPanel: simulation-based calibration run live, with rank histograms, ECDF differences and a verdict."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import bqplot as bq
import ipywidgets as ipw
import numpy as np
import traitlets as tr

from widgets import _ui
from widgets._panel import Panel
from widgets.inference.sbc import CHUNK_SIZE, MAX_NUM_SIMULATIONS, RHAT_SBC_MAX, SBCResult, run_sbc

# The bounds run_sbc takes, checked here so that a bad value never lands.
_BOUNDS = {"num_simulations": (1, MAX_NUM_SIMULATIONS), "thin": (1, 1000), "seed": (0, 2**32 - 1)}
_BINS = 10


class SBCPanel(Panel):
    """Run simulation-based calibration of a model and read the ranks.

    The Run button calls :func:`widgets.inference.sbc.run_sbc` in a
    background thread, with a progress bar over the simulations; the Stop
    button ends the run after the chunk of ``CHUNK_SIZE`` simulations being
    fitted, keeping what was done. Every chunk runs the same compiled
    program, so a new run of the same model and data sizes compiles nothing,
    whatever the number of simulations, thinning or seed. Choosing another
    parameter redraws without fitting.

    Shown: the chosen parameter's rank histogram (with the count uniform ranks
    would give) and its ECDF difference with ArviZ's 95% simultaneous band,
    the share of fits with divergences or R-hat > 1.05, and a verdict in words.

    Bad settings are refused by validators: the trait keeps its last good
    value and the message area says why.

    Parameters
    ----------
    model : callable
        The NumPyro model to fit.
    simulator : callable
        ``simulator(rng, **data)`` returning the parameters drawn from the prior
        and the simulated data (see :func:`~widgets.inference.sbc.run_sbc`).
    data : dict
        The fixed data every simulation shares.
    **kwargs
        Initial values of the traits below.

    Attributes
    ----------
    num_simulations : int
        Simulations per run, in [1, 10,000].
    thin : int
        Iterations per kept draw, in [1, 1000]; each fit keeps 100 draws.
    seed : int
        Seed of the run.
    parameter : str
        The parameter whose ranks are drawn.
    result : SBCResult or None
        The last completed (or stopped) run.
    running : bool
        Whether a run is going on.
    verdict : str
        What the last run's ranks and diagnostics say, in words.
    code : str
        The panel as one line of code.
    message : str
        The message shown; empty when all is well.
    """

    num_simulations = tr.Int(100, help="Simulations per run, in [1, 10,000].")
    thin = tr.Int(10, help="Iterations per kept draw, in [1, 1000].")
    seed = tr.Int(0, help="Seed of the run.")
    parameter = tr.Unicode("", help="The parameter whose ranks are drawn.")
    result = tr.Instance(SBCResult, allow_none=True, help="The last completed or stopped run.")
    running = tr.Bool(False, help="Whether a run is going on.")
    verdict = tr.Unicode(help="The last run's ranks and diagnostics, in words.")

    def __init__(self, model: Callable, simulator: Callable, data: Mapping[str, Any], **kwargs):
        super().__init__()
        if not callable(model) or not callable(simulator) or not isinstance(data, Mapping):
            raise ValueError(
                "SBCPanel needs a model, a simulator(rng, **data) and a dict of fixed data; "
                f"got {model!r}, {simulator!r}, {data!r}"
            )
        self.model, self.simulator, self.data = model, simulator, data
        self._names = _ui.CallerNames(model=model, simulator=simulator, data=data)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.run_button = _ui.button(
            "Run", description="Run the simulations and fits", icon="play", style="primary"
        )
        self.stop_button = _ui.button("Stop", description="Stop after the current chunk of fits", icon="stop")
        self.stop_button.disabled = True
        self.progress = _ui.progress_bar("simulations")
        self.status_label = ipw.Label("")
        boxes = {"width": "13em", "label_width": "6em"}
        settings = {
            "num_simulations": _ui.int_box(
                "simulations",
                low=1,
                high=MAX_NUM_SIMULATIONS,
                description="num_simulations of the SBC run",
                **boxes,
            ),
            "thin": _ui.int_box("thin", low=1, high=1000, description="thin of the SBC run", **boxes),
            "seed": _ui.int_box("seed", description="seed of the SBC run", **boxes),
        }
        self.settings = settings
        self.parameter_choice = _ui.dropdown("parameter", [], None, description="The parameter drawn below")

        self.histogram_figure, scales = _ui.figure("rank histogram", "rank", "fits", height="240px")
        scales["y"].min = 0.0
        self._bars = bq.Bars(
            x=np.zeros(0),
            y=np.zeros(0),
            scales=scales,
            colors=[_ui.COLORS["band"]],
            labels=["ranks"],
            padding=0.05,
        )
        self._expected = _ui.band(
            scales, _ui.COLORS["truth"], opacity=0.25, label="uniform: each bar's own 99% range"
        )
        self.histogram_figure.marks = [self._expected, self._bars]

        self.ecdf_figure, scales = _ui.figure(
            "ECDF difference", "fractional rank", "ECDF - uniform", height="240px", x_range=(0.0, 1.0)
        )
        self._band = _ui.band(scales, _ui.COLORS["truth"], opacity=0.25, label="95% simultaneous band")
        self._difference = _ui.lines(scales, _ui.COLORS["band"], label="ECDF difference")
        self.ecdf_figure.marks = [self._band, self._difference]

        self.diagnostics_area = ipw.HTML()
        self.verdict_area = _ui.MessageArea()
        self.children = [
            _ui.heading("Simulation-based calibration"),
            ipw.HBox(list(settings.values()), layout=ipw.Layout(flex_flow="row wrap")),
            ipw.HBox([self.run_button, self.stop_button, self.progress, self.status_label]),
            self.parameter_choice,
            ipw.HBox(
                [
                    ipw.Box([self.histogram_figure], layout=ipw.Layout(width="50%", min_width="280px")),
                    ipw.Box([self.ecdf_figure], layout=ipw.Layout(width="50%", min_width="280px")),
                ],
                layout=ipw.Layout(flex_flow="row wrap"),
            ),
            _ui.key(
                (_ui.COLORS["band"], "line", "ranks of the true values (bars); their ECDF minus uniform"),
                (
                    _ui.COLORS["truth"],
                    "band",
                    "where uniform ranks fall (each bar alone: 99%; the whole curve: 95%)",
                ),
            ),
            self.diagnostics_area,
            self.verdict_area,
            *self._footer(sliders=False),
        ]
        self._tie(**settings, parameter=self.parameter_choice)
        self.run_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.observe(lambda _: self._show_code(), names=["num_simulations", "thin", "seed"])
        self.observe(lambda _: self._update(), names=["parameter"])
        self._set_initial(kwargs)
        self._show_code()

    # -- running -------------------------------------------------------------

    def start(self) -> None:
        """Start a run in the background (what the Run button does)."""
        if self.running:
            self._message.show("A run is going on; stop it or wait for it to finish.", "note")
            return
        self._set_running(True)
        self._stop.clear()  # here, not in the thread: a Stop pressed at once must not be lost
        self._thread = threading.Thread(target=self._run, name="SBCPanel run", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the run after the chunk being fitted (what the Stop button does)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run started by :meth:`start` is done."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Run now, in this thread, and show the result; errors go to the message area."""
        self._stop.clear()
        self._run()

    def _run(self) -> None:
        self._set_running(True)
        self.progress.value = 0.0
        self.status_label.value = "simulating and fitting (the first run of a model compiles)..."
        try:
            with self._message.guard():
                result = run_sbc(
                    self.model,
                    self.simulator,
                    self.data,
                    num_simulations=self.num_simulations,
                    thin=self.thin,
                    seed=self.seed,
                    progress=self._on_progress,
                    should_stop=self._stop.is_set,
                )
                self.result = result
                options = list(result.parameters)
                with self._holding():
                    self.parameter_choice.options = options
                    if self.parameter not in options:
                        self.parameter = options[0]
                    self.parameter_choice.value = self.parameter
                self._update()
                self._show_result(result)
        finally:
            self._set_running(False)
            done = self.result is not None and not self.message
            self.status_label.value = ("stopped" if self.result.stopped else "done") if done else ""

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.run_button.disabled = running
        self.stop_button.disabled = not running

    def _on_progress(self, fraction: float) -> None:
        self.progress.value = fraction
        if fraction > 0:
            done = fraction * self.num_simulations
            self.status_label.value = f"fitting: {done:.0f} of {self.num_simulations}"

    # -- showing -------------------------------------------------------------

    def _draw(self) -> None:
        """Draw the chosen parameter's ranks from the last run (no fitting)."""
        if self.result is None:
            return
        if self.parameter not in self.result.parameters:
            names = list(self.result.parameters)
            raise ValueError(f"parameter must be one of {names}; got {self.parameter!r}")
        edges, counts, expected = self.result.rank_histogram(self.parameter, bins=_BINS)
        share = expected / self.result.num_simulations
        spread = 2.576 * np.sqrt(expected * (1 - share))
        _ui.set_data(self._bars, x=(edges[:-1] + edges[1:]) / 2, y=counts)
        steps = np.repeat(edges, 2)[1:-1]  # each bin's count held flat across the bin
        low, high = np.repeat(np.maximum(expected - spread, 0), 2), np.repeat(expected + spread, 2)
        _ui.set_data(self._expected, x=steps, y=[low, high])
        curve = self.result.ecdf_difference(self.parameter)
        x = np.concatenate([[0.0], curve["x"]])
        band = [np.concatenate([[0.0], curve["lower"]]), np.concatenate([[0.0], curve["upper"]])]
        _ui.set_data(self._band, x=x, y=band)
        _ui.set_data(self._difference, x=x, y=np.concatenate([[0.0], curve["difference"]]))

    def _show_result(self, result: SBCResult) -> None:
        fits = result.num_simulations
        divergent = round(result.share_divergent * fits)
        poor_rhat = round(result.share_poor_rhat * fits)
        self.diagnostics_area.value = (
            f"<div>{fits} fits: {divergent} with divergences ({result.share_divergent:.1%}), "
            f"{poor_rhat} with R-hat &gt; {RHAT_SBC_MAX} or undefined ({result.share_poor_rhat:.1%}); "
            f"each fit's lowest bulk ESS, median over the fits: "
            f"{np.nanmedian(result.diagnostics['min_ess_bulk']):.0f} of {result.num_samples} kept draws."
            "</div>"
        )
        calibrated = "look uniform." in result.verdict and result.share_divergent == 0
        self.verdict_area.show(result.verdict, "ok" if calibrated else "warning")
        self.verdict = result.verdict

    @tr.validate("num_simulations", "thin", "seed")
    def _valid_setting(self, proposal):
        """Keep the last good setting, and say why, for one out of range."""
        name, value = proposal["trait"].name, proposal["value"]
        low, high = _BOUNDS[name]
        if low <= value <= high:
            if self._message.text.startswith(f"{name} must be"):
                self._message.clear()
            return value
        old = getattr(self, name)
        self._message.show(f"{name} must be in [{low:,}, {high:,}]; got {value:,}. Kept {old:,}.")
        return old

    def _code(self) -> str:
        model = self._names.code("model", self.model)
        simulator = self._names.code("simulator", self.simulator)
        if model == "None":
            model = getattr(self.model, "__name__", "model")
        if simulator == "None":
            simulator = getattr(self.simulator, "__name__", "simulator")
        data = self._names.code("data", self.data)
        if data == "None":
            data = "{" + ", ".join(f"{k!r}: {_ui.literal(v)}" for k, v in self.data.items()) + "}"
        return (
            f"SBCPanel({model}, {simulator}, {data}, num_simulations={self.num_simulations}, "
            f"thin={self.thin}, seed={self.seed})"
        )


__all__ = ["CHUNK_SIZE", "SBCPanel"]
