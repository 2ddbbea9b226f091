"""WorkflowPanel: priors -> data -> fit -> checks stay linked."""

import numpy as np
import numpyro.distributions as dist

from widgets import Priors, WorkflowPanel


def test_changes_flow_and_mark_the_fit_stale():
    """Do new priors and data reach the fit and check panels, mark the fit stale, and a re-fit clear it?"""
    panel = WorkflowPanel(simulation={"n": 40})
    panel.fit_panel.num_warmup, panel.fit_panel.num_samples = 200, 200
    panel.fit_panel.run()
    assert not panel.stale and panel.check_panel.fit is panel.fit_panel.fit

    panel.prior_panel.hyper_controls["a"]["scale"].value = 1.0
    assert panel.fit_panel.priors == panel.prior_panel.priors
    assert panel.stale and "stale" in panel.tabs.titles[2] and "stale" in panel.tabs.titles[3]

    panel.fit_panel.run()
    assert not panel.stale and panel.tabs.titles[2:] == ("3. Fit", "4. Check")
    assert panel.check_panel.fit is panel.fit_panel.fit

    panel.simulation_panel.n = 60
    assert panel.stale
    np.testing.assert_array_equal(panel.fit_panel.y, panel.simulation_panel.y)
    np.testing.assert_array_equal(panel.check_panel.y, panel.simulation_panel.y)


def test_true_values_follow_the_simulation():
    """Does moving the true a update the fit panel's reference values?"""
    panel = WorkflowPanel()
    panel.simulation_panel.a = -1.0
    assert panel.fit_panel.true_values["a"] == -1.0


def test_code_line_rebuilds_the_workflow():
    """Does the workflow's code line rebuild the same priors and data?"""
    panel = WorkflowPanel(priors=Priors(sigma=dist.Exponential(2.0)), simulation={"n": 25, "seed": 3})
    rebuilt = eval(panel.code, {"WorkflowPanel": WorkflowPanel, "Priors": Priors, "dist": dist})
    assert rebuilt.code == panel.code
    np.testing.assert_array_equal(rebuilt.simulation_panel.y, panel.simulation_panel.y)
