"""Interactive panels and graded lessons for teaching NumPyro and the Bayesian workflow.

The panels are ipywidgets views over :mod:`widgets.inference`, the one package
that runs inference. Importing the package turns on JAX's persistent compilation
cache in a folder of the kit's (see :mod:`widgets.compilation_cache`).
"""

from widgets import compilation_cache
from widgets.fit_panel import FitPanel
from widgets.inference import (
    Diagnostics,
    Fit,
    Priors,
    fit,
    linear_regression,
    posterior_predictive,
    prior_predictive,
    simulate,
)
from widgets.predictive_panel import PredictiveCheckPanel
from widgets.prior_panel import PriorPanel
from widgets.simulation_panel import SimulationPanel, simulated_data
from widgets.workflow_panel import WorkflowPanel

__all__ = [
    "Diagnostics",
    "Fit",
    "FitPanel",
    "PredictiveCheckPanel",
    "PriorPanel",
    "Priors",
    "SimulationPanel",
    "WorkflowPanel",
    "fit",
    "linear_regression",
    "posterior_predictive",
    "prior_predictive",
    "simulate",
    "simulated_data",
]

compilation_cache.enable()
