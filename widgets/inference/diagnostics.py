"""Convergence diagnostics of a fit: divergences, R-hat and bulk ESS, in numbers and in words."""

from __future__ import annotations

import dataclasses
import math

from widgets.inference._arviz import az

RHAT_MAX = 1.01
ESS_MIN = 400


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """What the convergence diagnostics say, in numbers and in words.

    Attributes
    ----------
    divergences : int
        Number of divergent transitions after warmup, over all chains.
    max_rhat : float
        Largest rank-normalized split R-hat over the parameters (NaN if undefined).
    min_ess_bulk : float
        Smallest bulk effective sample size over the parameters.
    warnings : tuple of str
        One plain sentence per problem found, each saying what to try.
    divergences_per_chain : tuple of int
        Number of divergent transitions after warmup in each chain, in chain order.
    """

    divergences: int
    max_rhat: float
    min_ess_bulk: float
    warnings: tuple[str, ...]
    divergences_per_chain: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether no warning sign was found."""
        return not self.warnings

    @property
    def verdict(self) -> str:
        """A plain-language verdict a panel can show."""
        if self.ok:
            return (
                f"No warning signs: no divergences, R-hat <= {RHAT_MAX} and bulk ESS >= "
                f"{ESS_MIN} for every parameter."
            )
        return " ".join(self.warnings)


def _diagnose(idata: az.InferenceData, var_names: list[str]) -> Diagnostics:
    per_chain = tuple(int(n) for n in idata.sample_stats["diverging"].sum("draw").values)
    divergences = sum(per_chain)
    rhat = az.rhat(idata, var_names=var_names)
    ess = az.ess(idata, var_names=var_names, method="bulk")
    rhats = {v: float(rhat[v].max()) for v in var_names}
    esses = {v: float(ess[v].min()) for v in var_names}
    max_rhat = max(rhats.values())
    min_ess = min(esses.values())
    warnings = []
    if divergences:
        by_chain = f" (per chain: {', '.join(map(str, per_chain))})" if len(per_chain) > 1 else ""
        warnings.append(
            f"{divergences} divergent transitions{by_chain}: the sampler could not follow the "
            "posterior everywhere, so its draws may be biased. Try a higher "
            "target_accept_prob (e.g. 0.95), more informative priors, or a "
            "reparameterized model."
        )
    if not math.isnan(max_rhat) and max_rhat > RHAT_MAX:
        worst = max(rhats, key=rhats.get)
        warnings.append(
            f"R-hat of {worst} is {max_rhat:.3f} (> {RHAT_MAX}): the chains disagree. "
            "Run longer (more num_warmup and num_samples) and check the priors."
        )
    if min_ess < ESS_MIN:
        worst = min(esses, key=esses.get)
        warnings.append(
            f"Bulk ESS of {worst} is {min_ess:.0f} (< {ESS_MIN}): too few effective "
            "draws for reliable estimates. Draw more samples (num_samples) or chains."
        )
    return Diagnostics(divergences, max_rhat, min_ess, tuple(warnings), per_chain)
