"""Interactive panels and graded lessons for teaching NumPyro and the Bayesian workflow.

The panels are ipywidgets views over :mod:`widgets.inference`, the one package
that runs inference. Importing the package turns on JAX's persistent compilation
cache in a folder of the kit's (see :mod:`widgets.compilation_cache`).

The public names load on first use (PEP 562), so that the instructors' tools,
:mod:`widgets.grading` and nbgrader's config, start without importing NumPyro,
ArviZ and the widgets: ``from widgets import FitPanel`` works as usual.
"""

import importlib

from widgets import compilation_cache

# Each public name, and the module that defines it.
_PUBLIC = {
    "Diagnostics": "widgets.inference",
    "Fit": "widgets.inference",
    "FitPanel": "widgets.fit_panel",
    "PredictiveCheckPanel": "widgets.predictive_panel",
    "PriorPanel": "widgets.prior_panel",
    "RobustRegressionPanel": "widgets.robust_panel",
    "SBCPanel": "widgets.sbc_panel",
    "Priors": "widgets.inference",
    "SimulationPanel": "widgets.simulation_panel",
    "TrajectoryPanel": "widgets.trajectory_panel",
    "WorkflowPanel": "widgets.workflow_panel",
    "fit": "widgets.inference",
    "linear_regression": "widgets.inference",
    "posterior_predictive": "widgets.inference",
    "prior_predictive": "widgets.inference",
    "simulate": "widgets.inference",
    "simulated_data": "widgets.simulation_panel",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


compilation_cache.enable()
