"""The outcome of ``simulate_agents``: replicates of the agent model, and their summaries."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ivigsim.core.views import view


@dataclass(frozen=True)
class AgentResult:
    """Replicates of the agent model on the recorded grid ``t`` (days).

    Cell counts are full-inoculum equivalents: simulated counts divided by
    ``inoculum_scale`` (equal to the simulated counts when it is 1).

    Attributes
    ----------
    t : float (n_t,), days
    tumour_cells, nk_activated, nk_cells, foci : float (replicates, n_t)
        Tumour cells (circulating and in foci), activated NK cells, live NK cells,
        lung foci with at least one cell.
    foci_counts : int (replicates,)
        Lung foci with cells at the end (the day-14 colony count of TU-02).
    foci_seeded : int (replicates,)
        Foci founded during the run, surviving or not.
    time_to_extinction : float (replicates,), days
        When the last tumour cell died (resolution: one time step); NaN where cells remain.
    kills_by_nk : int (replicates, 2, n_exhaust + 1)
        Simulated NK cells by number of kills made; ``[:, 0]`` never activated,
        ``[:, 1]`` activated at some time. Every cell alive at some time counts once.
    nk_kills, events : int (replicates,)
        Tumour cells killed by NK cells; agent events (state changes) in the run.
    drivers : dict
        ``t`` (step midpoints) and the IVIG (g/L) and IL-12 (pg/mL) values used per step.
    parameters : dict
        Parameter values used, in the core's units.
    seed : int
        Entropy of the root ``SeedSequence``; ``replicate_seeds`` the per-replicate seeds.
    """

    model: str
    t: np.ndarray
    inoculum_scale: float
    tumour_cells: np.ndarray
    nk_activated: np.ndarray
    nk_cells: np.ndarray
    foci: np.ndarray
    foci_counts: np.ndarray
    foci_seeded: np.ndarray
    time_to_extinction: np.ndarray
    kills_by_nk: np.ndarray
    nk_kills: np.ndarray
    events: np.ndarray
    drivers: dict = field(repr=False)
    parameters: dict = field(repr=False)
    seed: int = 0
    replicate_seeds: np.ndarray = field(default=None, repr=False)
    time_step: float = 0.0
    wall_s: float = 0.0

    def __repr__(self):
        return view("agents.repr")(self)

    def _repr_html_(self):
        return view("agents.html")(self)

    @property
    def replicates(self):
        return self.foci_counts.shape[0]

    @property
    def extinction_probability(self):
        """Fraction of replicates with no tumour cell left at the end."""
        return float(np.mean(np.isfinite(self.time_to_extinction)))

    def zero_kill_fraction(self, activated=True):
        """Fraction of NK cells that killed nothing, pooled over replicates.

        ``activated=True``: among cells activated at some time (NK-02 compares about half);
        ``False``: among cells never activated (NK-03, resting: about 75 %). NaN if there are none.
        """
        counts = self.kills_by_nk[:, 1 if activated else 0].sum(axis=0)
        total = counts.sum()
        return float(counts[0] / total) if total else float("nan")

    def mean_kills_per_nk(self, activated=True):
        """Mean kills per NK cell (ever activated, or never), pooled over replicates."""
        counts = self.kills_by_nk[:, 1 if activated else 0].sum(axis=0)
        total = counts.sum()
        return float(np.arange(counts.size) @ counts / total) if total else float("nan")

    def summary(self):
        """Text: foci mean, median, 5-95 % range; extinction probability; NK killing."""
        foci = self.foci_counts
        q5, q50, q95 = np.percentile(foci, [5, 50, 95])
        tumour_end = self.tumour_cells[:, -1]
        lines = [
            f"agent model '{self.model}': {self.replicates} replicates, t = 0..{self.t[-1]:g} days, "
            f"dt = {self.time_step:g} day, inoculum scale {self.inoculum_scale:g}",
            f"lung foci at day {self.t[-1]:g}: mean {foci.mean():.1f}, median {q50:.0f}, "
            f"5-95 % [{q5:.0f}, {q95:.0f}] (seeded: mean {self.foci_seeded.mean():.1f})",
            f"tumour cells at the end: mean {tumour_end.mean():.4g}, median {np.median(tumour_end):.4g}",
            f"extinction probability: {self.extinction_probability:.3f}",
            f"NK cells killing nothing: {self.zero_kill_fraction(True):.3f} of activated, "
            f"{self.zero_kill_fraction(False):.3f} of never activated; "
            f"NK kills per replicate: mean {self.nk_kills.mean():.4g}",
            f"{self.events.sum():,} agent events in {self.wall_s:.3g} s",
        ]
        return "\n".join(lines)

    def plot(self, path):
        """Histogram of foci counts and a fan (median, 50 % and 90 % bands) of tumour cells."""
        from ivigsim.interfaces.plotting import PALETTE
        from ivigsim.interfaces.style import pyplot as _pyplot
        plt = _pyplot()
        blue, red = PALETTE[0], PALETTE[1]
        fig, (ax_foci, ax_fan) = plt.subplots(1, 2, figsize=(11, 4))
        foci = self.foci_counts
        bins = np.arange(foci.min(), foci.max() + 2) - 0.5 if foci.max() - foci.min() < 60 else 30
        ax_foci.hist(foci, bins=bins, color=blue, alpha=0.8)
        ax_foci.axvline(foci.mean(), color="k", ls="--", label=f"mean {foci.mean():.1f}")
        ax_foci.set_xlabel(f"lung foci at day {self.t[-1]:g} [foci]")
        ax_foci.set_ylabel("replicates [count]")
        ax_foci.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))     # off the histogram
        cells = self.tumour_cells
        lo5, lo25, med, hi75, hi95 = np.percentile(cells, [5, 25, 50, 75, 95], axis=0)
        ax_fan.fill_between(self.t, lo5, hi95, color=red, alpha=0.2, label="5-95 %")
        ax_fan.fill_between(self.t, lo25, hi75, color=red, alpha=0.4, label="25-75 %")
        ax_fan.plot(self.t, med, color=red, label="median")
        ax_fan.plot(self.t, cells.mean(axis=0), color="k", ls="--", label="mean")
        ax_fan.set_yscale("symlog", linthresh=1.0)
        ax_fan.set_xlabel("time [day]")
        ax_fan.set_ylabel("tumour cells [cells]")
        ax_fan.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.suptitle(f"{self.model}: {self.replicates} replicates, "
                     f"extinction probability {self.extinction_probability:.2f}")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path
