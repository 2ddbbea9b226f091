"""Interactive panels and graded lessons for teaching NumPyro and the Bayesian workflow."""

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

__all__ = [
    "Diagnostics",
    "Fit",
    "Priors",
    "fit",
    "linear_regression",
    "posterior_predictive",
    "prior_predictive",
    "simulate",
]
