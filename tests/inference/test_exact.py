"""exact_posterior_moments: the closed form agrees with brute force, and refuses other families."""

import numpy as np
import numpyro.distributions as dist
import pytest

from tests.conftest import make_data
from tests.inference.exact import direct_moments, exact_moments
from widgets.inference import Priors, exact_posterior_moments


@pytest.mark.parametrize("n, seed", [(5, 1), (30, 2)])
def test_exact_moments_agree_with_brute_force(n, seed):
    """Does the kit's 2x2 closed form agree with n x n Gaussian marginals computed by SciPy?"""
    x, y = make_data(n, seed=seed)
    kit, brute = exact_moments(x, y, a=(0.5, 1.5)), direct_moments(x, y, a=(0.5, 1.5))
    for name in kit:
        np.testing.assert_allclose(kit[name], brute[name], rtol=2e-3)


def test_exact_moments_refuse_other_families():
    """Does the exact posterior refuse priors it has no closed form for?"""
    with pytest.raises(ValueError, match="needs Normal priors"):
        exact_posterior_moments([0.0, 1.0], [0.0, 1.0], priors=Priors(sigma=dist.Exponential(1.0)))
