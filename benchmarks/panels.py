"""Python-side latency of one control move in each panel: value set -> marks updated.

Observers run synchronously, so the time to set a control's value is the time
until every mark holds its new data (the browser's redraw is timed by the
browser benchmark). FitPanel's Fit button is timed the same way: a run length
set, then the fit, its summary, densities and verdict shown.
"""

from __future__ import annotations

import numpy as np

from benchmarks import tutorial_way
from benchmarks.inference_steps import new_run_lengths
from benchmarks.timing import Row, median_seconds
from widgets import FitPanel, PredictiveCheckPanel, PriorPanel, SimulationPanel, fit
from widgets.simulation_panel import simulated_data

MOVES = 200


def _slider_latency(slider, values, repeat: int) -> float:
    slider.value = values[-1]  # first move may compile; not timed
    return median_seconds(lambda i: setattr(slider, "value", values[i % len(values)]), repeat)


def run(quick: bool) -> list[Row]:
    """One row per panel and control."""
    repeat = 60 if quick else MOVES
    rows = []

    prior = PriorPanel(num_draws=100)
    scales = [float(v) for v in np.linspace(0.5, 5.0, 37)]
    row = Row(
        "PriorPanel: a's scale slider, 100 draws",
        _slider_latency(prior.hyper_controls["a"]["scale"], scales, repeat),
        target="<= 10 ms",
    )
    row.met = row.ours <= 0.010
    rows.append(row)
    rows.append(
        Row(
            "PriorPanel: sigma's scale slider, 100 draws",
            _slider_latency(prior.hyper_controls["sigma"]["scale"], scales, repeat),
        )
    )

    simulation = SimulationPanel()
    rows.append(
        Row(
            "SimulationPanel: true a slider",
            _slider_latency(simulation.a_slider, [v - 2.5 for v in scales], repeat),
        )
    )
    rows.append(
        Row(
            "SimulationPanel: n slider",
            _slider_latency(simulation.n_slider, list(range(20, 1000, 37)), repeat),
        )
    )

    x, y = simulated_data(1.5, -0.5, 0.3, 80)
    panel = FitPanel(x, y)
    panel.run()
    rows.append(
        Row(
            "FitPanel: warmup box (marks the fit stale, no re-run)",
            _slider_latency(panel.settings["num_warmup"], list(range(400, 600, 7)), repeat),
        )
    )

    # Lesson 1's exercise: change samples (or warmup), press Fit, read the diagnostics.
    runs = new_run_lengths(9 if quick else 21)

    def refit(i):
        panel.num_warmup, panel.num_samples = runs[i]
        panel.run()

    theirs = new_run_lengths(2 if quick else 3)
    row = Row(
        "FitPanel: Fit after a new samples / warmup value (fit, summary, densities, verdict)",
        median_seconds(refit, len(runs)),
        tutorial=median_seconds(lambda i: tutorial_way.fit(x, y, i, *theirs[i]), len(theirs)),
        target="<= 300 ms",
    )
    row.met = row.ours <= 0.3 and panel.message == ""
    rows.append(row)

    check = PredictiveCheckPanel(x, y, fit=fit(x, y))
    rows.append(
        Row(
            "PredictiveCheckPanel: draws slider (posterior)",
            _slider_latency(check.draws_slider, list(range(100, 4000, 97)), repeat),
        )
    )
    rows.append(
        Row(
            "PredictiveCheckPanel: quantile slider (posterior)",
            _slider_latency(check.quantile_slider, [float(v) for v in np.linspace(0.05, 0.95, 19)], repeat),
        )
    )
    return rows
