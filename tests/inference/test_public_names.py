"""The package's public face: every public name importable from widgets.inference, options keyword-only."""

import inspect

import numpy as np
import pytest

import widgets.inference as inference

X = np.linspace(-2.0, 2.0, 10)


def test_every_public_name_is_importable_from_the_package():
    """Is each name in __all__ an attribute of widgets.inference, and not a submodule?"""
    for name in inference.__all__:
        assert not inspect.ismodule(getattr(inference, name)), name


@pytest.mark.parametrize(
    "function, data",
    [
        ("fit", ("x", "y")),
        ("fit_model", ("model", "data")),
        ("fit_many", ("model", "data")),
        ("fit_model_needs_compiling", ("model", "data")),
        ("sample_posterior_predictive", ("fit", "data")),
        ("fit_needs_compiling", ("x",)),
        ("prior_predictive", ("x",)),
        ("posterior_predictive", ("fit", "x")),
        ("simulate", ("x", "a", "b", "sigma")),
        ("exact_posterior_moments", ("x", "y")),
    ],
)
def test_options_after_the_data_are_keyword_only(function, data):
    """Are the data the only positional parameters, and every option keyword-only?"""
    parameters = inspect.signature(getattr(inference, function)).parameters.values()
    positional = tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)
    assert positional == data
    assert all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters)


def test_an_option_passed_by_position_is_refused():
    """Does prior_predictive(x, priors) raise a TypeError instead of guessing?"""
    with pytest.raises(TypeError):
        inference.prior_predictive(X, inference.Priors())
