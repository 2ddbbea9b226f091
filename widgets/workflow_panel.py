"""WorkflowPanel: priors -> simulated data -> fit -> predictive checks, wired together."""

from __future__ import annotations

import ipywidgets as ipw
import traitlets as tr

from widgets._panel import Panel
from widgets.fit_panel import FitPanel
from widgets.inference import Priors
from widgets.predictive_panel import PredictiveCheckPanel
from widgets.prior_panel import PriorPanel
from widgets.simulation_panel import SimulationPanel
from widgets.tutorial import SITES

STEPS = ("1. Priors", "2. Simulate data", "3. Fit", "4. Check")


class WorkflowPanel(Panel):
    """The Bayesian workflow as one loop of four linked panels, one tab each.

    Changing the priors, the data or the fit's settings marks the fit stale
    (a warning, and a mark on the titles of the fit and check tabs); a new fit
    updates the checks. The four panels are attributes, each usable on its own.

    Parameters
    ----------
    priors : Priors, optional
        Where the priors start.
    simulation : dict, optional
        Initial traits of the simulation panel (``a``, ``b``, ``sigma``, ``n``,
        ``x_range``, ``seed``).

    Attributes
    ----------
    prior_panel : PriorPanel
    simulation_panel : SimulationPanel
    fit_panel : FitPanel
    check_panel : PredictiveCheckPanel
    stale : bool
        True when the fit does not reflect the current priors and data.
    code : str
        The workflow's state as one line of code.
    message : str
        The workflow's status: whether the fit is stale.
    """

    stale = tr.Bool(False, help="Whether the fit lags behind the priors or data.")

    def __init__(self, priors: Priors | None = None, *, simulation: dict | None = None):
        super().__init__(code_label="Workflow state as code:")
        self.prior_panel = PriorPanel(priors=priors)
        self.simulation_panel = SimulationPanel(**(simulation or {}))
        sim = self.simulation_panel
        self.fit_panel = FitPanel(sim.x, sim.y, priors=self.prior_panel.priors, true_values=self._truth())
        self.check_panel = PredictiveCheckPanel(sim.x, sim.y, priors=self.prior_panel.priors)
        self.tabs = ipw.Tab(
            children=[self.prior_panel, self.simulation_panel, self.fit_panel, self.check_panel],
            titles=STEPS,
        )
        self.children = [self.tabs, *self._footer(sliders=False)]

        for name in ("priors",):
            tr.dlink((self.prior_panel, name), (self.fit_panel, name))
            tr.dlink((self.prior_panel, name), (self.check_panel, name))
        sim.observe(self._on_data, names=["x", "y"])
        sim.observe(lambda _: setattr(self.fit_panel, "true_values", self._truth()), names=list(SITES))
        tr.dlink((self.fit_panel, "fit"), (self.check_panel, "fit"))
        tr.dlink((self.fit_panel, "stale"), (self, "stale"))
        self.observe(self._on_stale, names="stale")
        self.prior_panel.observe(lambda _: self._show_code(), names="code")
        sim.observe(lambda _: self._show_code(), names="code")
        self._show_code()

    def _truth(self) -> dict[str, float]:
        sim = self.simulation_panel
        return {site: getattr(sim, site) for site in SITES}

    def _on_data(self, change) -> None:
        setattr(self.fit_panel, change["name"], change["new"])
        setattr(self.check_panel, change["name"], change["new"])

    def _on_stale(self, change) -> None:
        if change["new"]:
            self.tabs.set_title(2, f"{STEPS[2]} (stale)")
            self.tabs.set_title(3, f"{STEPS[3]} (stale fit)")
            self._message.show(
                "The fit is stale: priors, data or fit settings changed, and tab 4 still checks the "
                "old fit. Re-fit in tab 3.",
                "warning",
            )
        else:
            self.tabs.set_title(2, STEPS[2])
            self.tabs.set_title(3, STEPS[3])
            self._message.clear()

    def _code(self) -> str:
        sim = self.simulation_panel
        return (
            f"WorkflowPanel(priors={self.prior_panel.priors!r}, simulation=dict(a={sim.a:g}, "
            f"b={sim.b:g}, sigma={sim.sigma:g}, n={sim.n}, x_range=({sim.x_range[0]:g}, "
            f"{sim.x_range[1]:g}), seed={sim.seed}))"
        )
