"""The tutorial's vocabulary, in one place: its sites, their true values, ranges and grids.

The tutorial fits ``y = a*x + b + noise`` with noise scale ``sigma`` to data
simulated from known true values. The panels take the names, the truth and
the grids they draw on from here.
"""

from __future__ import annotations

import numpy as np

SITES = ("a", "b", "sigma")
"""The model's latent sites, in the order the panels show them."""

SITE_TITLES = {"a": "slope a", "b": "intercept b", "sigma": "noise sigma"}
"""Each site's name in words, for titles and tooltips."""

TRUE_VALUES = {"a": 1.5, "b": -0.5, "sigma": 0.3}
"""The true slope, intercept and noise scale of the tutorial's simulated data."""

N = 80
"""Number of points of the tutorial's simulated data."""

X_RANGE = (-2.0, 2.0)
"""The range of x: where data are simulated and prior predictive draws are plotted."""

PLAUSIBLE_Y = (-10.0, 10.0)
"""The range of y the prior panel starts with as plausible."""

DENSITY_RANGES = {"a": (-10.0, 10.0), "b": (-10.0, 10.0), "sigma": (0.0, 6.0)}
"""Each site's x range in the prior density plots."""

DENSITY_POINTS = 201
"""Points of a prior density's grid."""

GRID_POINTS = 50
"""Points of the x grid over which predictive bands are drawn."""


def density_grid(site: str) -> np.ndarray:
    """The points at which the prior density of `site` is drawn."""
    return np.linspace(*DENSITY_RANGES[site], DENSITY_POINTS)
