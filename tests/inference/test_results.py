"""Fit: draws of the right shapes, and the ArviZ groups and summary a student needs."""

import numpy as np


def test_fit_shapes_and_groups(fitted):
    """Are samples (chains, draws), and does idata hold the groups and variables a student needs?"""
    assert {k: v.shape for k, v in fitted.samples.items()} == {
        "a": (4, 1000),
        "b": (4, 1000),
        "sigma": (4, 1000),
    }
    idata = fitted.idata
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data"):
        assert group in idata.groups()
    assert set(idata.posterior.data_vars) == {"a", "b", "sigma"}
    assert dict(idata.posterior.sizes) == {"chain": 4, "draw": 1000}
    assert "diverging" in idata.sample_stats
    assert idata.log_likelihood["y"].shape == (4, 1000, 80)
    np.testing.assert_allclose(idata.observed_data["y"].values, fitted.y)


def test_summary_has_arviz_columns(fitted):
    """Does summary() give mean, sd, the 94% HDI, bulk/tail ESS and R-hat per parameter?"""
    table = fitted.summary()
    assert list(table.index) == ["a", "b", "sigma"]
    for column in ("mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat"):
        assert column in table.columns
    np.testing.assert_allclose(table.loc["a", "mean"], fitted.samples["a"].mean(), atol=1e-3)
