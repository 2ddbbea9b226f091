"""The prior families a panel offers, with their hyperparameters and slider ranges."""

from __future__ import annotations

import dataclasses
import math

import numpyro.distributions as dist
from numpyro.distributions import constraints

from widgets.inference import describe_constraint


@dataclasses.dataclass(frozen=True)
class Hyper:
    """One hyperparameter of a family, with the slider range a panel gives it.

    Attributes
    ----------
    name : str
        The NumPyro argument name (``loc``, ``scale``, ...).
    default : float
        Its value when the family is first chosen.
    low, high, step : float
        The slider's range and step. The range may start at a bound the family
        rejects (a scale of 0); a panel's slider then starts one step above it
        (:func:`widgets.prior_panel.slider_range`), so no slider position is an
        invalid prior.
    """

    name: str
    default: float
    low: float
    high: float
    step: float


@dataclasses.dataclass(frozen=True)
class Family:
    """A distribution family: its NumPyro class and hyperparameters, in order."""

    name: str
    cls: type
    hypers: tuple[Hyper, ...]

    def build(self, **values: float) -> dist.Distribution:
        """Return the distribution with these hyperparameter values.

        Raises
        ------
        ValueError
            If a name is not one of the family's hyperparameters, or a value
            is not a number, not finite, or rejected by the family.
        """
        names = [hyper.name for hyper in self.hypers]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(
                f"{self.name} has no hyperparameter {', '.join(unknown)}; it has {', '.join(names)}"
            )
        args = []
        for hyper in self.hypers:
            given = values.get(hyper.name, hyper.default)
            try:
                value = float(given)
            except (TypeError, ValueError):
                raise ValueError(f"{self.name}: {hyper.name} must be a number; got {given!r}") from None
            constraint = self.cls.arg_constraints[hyper.name]
            checkable = not constraints.is_dependent(constraint)
            if not math.isfinite(value) or (checkable and not bool(constraint(value))):
                allowed = describe_constraint(constraint) if checkable else "a finite number"
                raise ValueError(f"{self.name}: {hyper.name} must be {allowed}; got {value:g}")
            args.append(value)
        if self.cls is dist.Uniform and not args[0] < args[1]:
            raise ValueError(f"Uniform: low ({args[0]:g}) must be below high ({args[1]:g})")
        return self.cls(*args)


_LOC = Hyper("loc", 0.0, -10.0, 10.0, 0.1)
_SCALE = Hyper("scale", 2.0, 0.0, 10.0, 0.05)

FAMILIES: dict[str, dict[str, Family]] = {
    "a": {
        "Normal": Family("Normal", dist.Normal, (_LOC, _SCALE)),
        "StudentT": Family("StudentT", dist.StudentT, (Hyper("df", 3.0, 0.5, 30.0, 0.5), _LOC, _SCALE)),
        "Uniform": Family(
            "Uniform",
            dist.Uniform,
            (Hyper("low", -5.0, -10.0, 10.0, 0.1), Hyper("high", 5.0, -10.0, 10.0, 0.1)),
        ),
    },
    "sigma": {
        "HalfNormal": Family("HalfNormal", dist.HalfNormal, (Hyper("scale", 1.0, 0.0, 5.0, 0.05),)),
        "Exponential": Family("Exponential", dist.Exponential, (Hyper("rate", 1.0, 0.0, 10.0, 0.05),)),
        "LogNormal": Family(
            "LogNormal",
            dist.LogNormal,
            (Hyper("loc", 0.0, -3.0, 3.0, 0.05), Hyper("scale", 1.0, 0.0, 3.0, 0.05)),
        ),
    },
}
FAMILIES["b"] = FAMILIES["a"]


def family_of(site: str, d: dist.Distribution) -> tuple[Family, dict[str, float]]:
    """The panel family of prior `d` for `site`, and its hyperparameter values.

    Raises
    ------
    ValueError
        If the panel has no such site, or offers no such family for `site`.
    """
    if site not in FAMILIES:
        raise ValueError(f"site must be one of {', '.join(FAMILIES)}; got {site!r}")
    for family in FAMILIES[site].values():
        if type(d) is family.cls:
            return family, {h.name: float(getattr(d, h.name)) for h in family.hypers}
    offered = ", ".join(FAMILIES[site])
    raise ValueError(f"the panel offers {offered} for {site}; got {type(d).__name__}")
