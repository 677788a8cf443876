"""Size profiles of the synthetic organisation.

Volumes are totals over the whole history, so that ``large`` matches the
enterprise benchmark spec exactly (3M tickets, 150k incidents, ~10M time entries,
2,000 projects, ~600k CSAT responses over 3 years for 5,000 people).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    people: int
    teams: int
    months: int
    tickets: int
    incidents: int
    projects: int
    changes: int
    #: share of resolved tickets that get a CSAT response
    csat_rate: float = 0.2
    #: requesters (business users raising tickets) per IT person
    requesters_per_person: int = 8
    #: mean number of entries a person's support time of a day is logged as (1 = one entry, no
    #: extra draws: the small/tiny profiles' output must not change); large orgs log support
    #: per ticket batch, several entries a day, which is what brings ``large`` to ~10M entries
    support_entries_mean: float = 1.0
    #: bumped when this profile's draws change (part of the store's cache key when non-zero),
    #: so cached stores of other profiles stay valid
    revision: int = 0


PROFILES: dict[str, Profile] = {
    # Fast enough for unit tests that build the whole warehouse.
    "tiny": Profile("tiny", people=24, teams=4, months=2, tickets=500, incidents=40, projects=8, changes=30),
    # The demo default: ~100 people in 7 teams, 12 months.
    "small": Profile("small", people=100, teams=7, months=12, tickets=12_000, incidents=600, projects=40,
                     changes=500),
    "medium": Profile("medium", people=600, teams=14, months=24, tickets=240_000, incidents=12_000,
                      projects=250, changes=6_000),
    "large": Profile("large", people=5_000, teams=60, months=36, tickets=3_000_000, incidents=150_000,
                     projects=2_000, changes=60_000, support_entries_mean=2.1, revision=1),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
