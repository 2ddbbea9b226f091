"""Input checks at the boundary: data become finite 1-D float32 arrays, constraints are said in words."""

import numpy as np
import pytest
from numpyro.distributions import constraints

from widgets.inference import as_data, describe_constraint


def test_as_data_returns_a_float32_copy_of_numbers():
    """Do a list of ints, float64 values and a NumPy array all come back as 1-D float32 arrays?"""
    for value in ([1, 2, 3], np.array([1.0, 2.0, 3.0]), (1.0, 2, 3.0)):
        array = as_data("x", value)
        assert array.dtype == np.float32 and array.shape == (3,)
        np.testing.assert_array_equal(array, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "value, message",
    [
        ([], "x is empty"),
        (3.0, r"x must be a 1-D array of numbers; got an array of shape \(\)"),
        ([[1.0], [2.0]], r"x must be a 1-D array of numbers; got an array of shape \(2, 1\)"),
        ([1.0, np.nan, np.inf], "x must be finite; got nan at index 1 and 1 more"),
        (["a", "b"], "x must be an array of numbers"),
        ([True, False], "x must be an array of numbers; got values of type bool"),
        ([1j, 2.0], "x must be real numbers"),
        ([1.0, [2.0, 3.0]], "x must be an array of numbers"),
    ],
)
def test_as_data_names_the_argument_and_the_problem(value, message):
    """Does as_data refuse each bad value with the argument's name and what is wrong?"""
    with pytest.raises(ValueError, match=message):
        as_data("x", value)


@pytest.mark.parametrize(
    "constraint, words",
    [
        (constraints.real, "a finite number"),
        (constraints.positive, "a finite number > 0"),
        (constraints.interval(0.0, 1.0), "a number in [0.0, 1.0]"),
        (constraints.greater_than(2.0), "a finite number > 2.0"),
    ],
)
def test_describe_constraint_says_what_is_allowed(constraint, words):
    """Is each NumPyro constraint said in plain words, bounds included?"""
    assert describe_constraint(constraint) == words
