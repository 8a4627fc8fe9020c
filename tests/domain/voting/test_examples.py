"""Worked examples: published ones with their source, constructed ones computed in comments."""

from __future__ import annotations

import pytest

from domain.voting import (
    IrvDetails,
    IrvRound,
    MajorityJudgmentDetails,
    MeritProfile,
    SchulzeDetails,
    TotalsDetails,
    tally,
)
from domain.voting.majority_judgment import majority_grade, majority_value

# --- Tennessee's capital ------------------------------------------------------------------------
# The example of Wikipedia's voting-method articles: the whole state votes on where the capital
# goes; everyone prefers cities nearer home. Preferences by percentage of voters:
#   42% Memphis > Nashville > Chattanooga > Knoxville
#   26% Nashville > Chattanooga > Knoxville > Memphis
#   15% Chattanooga > Knoxville > Nashville > Memphis
#   17% Knoxville > Chattanooga > Nashville > Memphis
# Sources: https://en.wikipedia.org/wiki/Plurality_voting (Memphis wins),
# https://en.wikipedia.org/wiki/Borda_count (Nashville 194, Chattanooga 173, Memphis 126,
# Knoxville 107), https://en.wikipedia.org/wiki/Instant-runoff_voting (Knoxville wins in the
# third round) and https://en.wikipedia.org/wiki/Condorcet_method (Nashville is the Condorcet
# winner; the full Condorcet order is Nashville > Chattanooga > Knoxville > Memphis).

MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = "Memphis", "Nashville", "Chattanooga", "Knoxville"
CITIES = [MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE]
TENNESSEE = [
    (42, [MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE]),
    (26, [NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS]),
    (15, [CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS]),
    (17, [KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS]),
]


def tennessee_rankings() -> list[dict[str, list[str]]]:
    return [{"ranking": list(ranking)} for voters, ranking in TENNESSEE for _ in range(voters)]


def test_plurality_tennessee_memphis_wins() -> None:
    ballots = [{"choice": ranking[0]} for voters, ranking in TENNESSEE for _ in range(voters)]
    result = tally("plurality", CITIES, ballots, {})
    assert result.winner == MEMPHIS
    assert result.ranking == [[MEMPHIS], [NASHVILLE], [KNOXVILLE], [CHATTANOOGA]]
    assert result.scores == {MEMPHIS: 42, NASHVILLE: 26, CHATTANOOGA: 15, KNOXVILLE: 17}
    assert result.details == TotalsDetails(totals=result.scores)
    assert result.ballots_counted == 100


def test_borda_tennessee_nashville_wins() -> None:
    result = tally("borda", CITIES, tennessee_rankings(), {})
    assert result.scores == {MEMPHIS: 126, NASHVILLE: 194, CHATTANOOGA: 173, KNOXVILLE: 107}
    assert result.ranking == [[NASHVILLE], [CHATTANOOGA], [MEMPHIS], [KNOXVILLE]]
    assert result.winner == NASHVILLE


def test_irv_tennessee_knoxville_wins_in_the_third_round() -> None:
    result = tally("irv", CITIES, tennessee_rankings(), {})
    assert result.winner == KNOXVILLE
    assert result.scores == {MEMPHIS: 42, NASHVILLE: 26, CHATTANOOGA: 15, KNOXVILLE: 17}
    assert result.details == IrvDetails(
        rounds=[
            IrvRound(
                counts={MEMPHIS: 42, NASHVILLE: 26, CHATTANOOGA: 15, KNOXVILLE: 17},
                exhausted=0,
                eliminated=[CHATTANOOGA],
            ),
            # Chattanooga's 15 go to Knoxville, their next choice.
            IrvRound(
                counts={MEMPHIS: 42, NASHVILLE: 26, KNOXVILLE: 32},
                exhausted=0,
                eliminated=[NASHVILLE],
            ),
            # Nashville's 26 rank Chattanooga next, already out, then Knoxville: 58 of 100.
            IrvRound(counts={MEMPHIS: 42, KNOXVILLE: 58}, exhausted=0, eliminated=[MEMPHIS]),
            IrvRound(counts={KNOXVILLE: 100}, exhausted=0, eliminated=[]),
        ],
        majority_round=2,
    )
    # The others in reverse order of elimination.
    assert result.ranking == [[KNOXVILLE], [MEMPHIS], [NASHVILLE], [CHATTANOOGA]]


def test_schulze_tennessee_condorcet_order() -> None:
    result = tally("schulze", CITIES, tennessee_rankings(), {})
    assert result.winner == NASHVILLE
    assert result.ranking == [[NASHVILLE], [CHATTANOOGA], [KNOXVILLE], [MEMPHIS]]
    assert result.scores == {MEMPHIS: 0, NASHVILLE: 3, CHATTANOOGA: 2, KNOXVILLE: 1}
    assert isinstance(result.details, SchulzeDetails)
    # Pairwise, from the Condorcet article: Nashville beats Memphis 58–42, Chattanooga 68–32.
    assert result.details.d[NASHVILLE][MEMPHIS] == 58
    assert result.details.d[MEMPHIS][NASHVILLE] == 42
    assert result.details.d[NASHVILLE][CHATTANOOGA] == 68
    assert result.details.d[CHATTANOOGA][KNOXVILLE] == 83


# --- Schulze: Wikipedia's 45 voters ------------------------------------------------------------
# https://en.wikipedia.org/wiki/Schulze_method#Example — 45 voters, 5 candidates; the article
# gives the matrix of pairwise preferences d, the strongest paths p, and the order
# E > A > C > B > D.

SCHULZE_45 = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


def matrix(rows: str, values: list[list[int]]) -> dict[str, dict[str, int]]:
    return {x: {y: values[i][j] for j, y in enumerate(rows) if y != x} for i, x in enumerate(rows)}


def test_schulze_wikipedia_example() -> None:
    ballots = [{"ranking": list(order)} for voters, order in SCHULZE_45 for _ in range(voters)]
    result = tally("schulze", list("ABCDE"), ballots, {})
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert result.winner == "E"
    assert result.ballots_counted == 45
    assert result.details == SchulzeDetails(
        d=matrix(
            "ABCDE",
            [
                [0, 20, 26, 30, 22],
                [25, 0, 16, 33, 18],
                [19, 29, 0, 17, 24],
                [15, 12, 28, 0, 14],
                [23, 27, 21, 31, 0],
            ],
        ),
        p=matrix(
            "ABCDE",
            [
                [0, 28, 28, 30, 24],
                [25, 0, 28, 33, 24],
                [25, 29, 0, 29, 24],
                [25, 28, 28, 0, 24],
                [25, 28, 28, 31, 0],
            ],
        ),
    )
    assert result.scores == {"A": 3, "B": 1, "C": 2, "D": 0, "E": 4}


def test_schulze_unranked_options_come_last_and_tie() -> None:
    # One ballot ranking only "parc": it prefers parc to both others and neither of those to the
    # other, so d = parc→piste 1, parc→marché 1, and nothing between piste and marché.
    result = tally("schulze", ["parc", "piste", "marché"], [{"ranking": ["parc"]}], {})
    assert result.ranking == [["parc"], ["piste", "marché"]]
    assert isinstance(result.details, SchulzeDetails)
    assert result.details.d["piste"]["marché"] == result.details.d["marché"]["piste"] == 0


# --- Approval, dots, score: constructed ---------------------------------------------------------


def test_approval_counts_approvals_and_empty_ballots() -> None:
    ballots: list[dict[str, list[str]]] = [
        {"approve": ["parc", "piste"]},
        {"approve": ["parc"]},
        {"approve": ["piste", "marché"]},
        {"approve": ["marché", "parc"]},
        {"approve": []},  # approves nothing, yet is a ballot cast
    ]
    result = tally("approval", ["parc", "piste", "marché"], ballots, {})
    assert result.scores == {"parc": 3, "piste": 2, "marché": 2}
    assert result.ranking == [["parc"], ["piste", "marché"]]
    assert result.winner == "parc"
    assert result.ballots_counted == 5


def test_dots_adds_dots_and_allows_unused_ones() -> None:
    ballots = [
        {"dots": {"parc": 3, "piste": 2}},
        {"dots": {"marché": 3, "piste": 1}},  # one dot left unused
        {"dots": {"piste": 3, "parc": 0}},  # zero is the same as absent
    ]
    result = tally(
        "dots", ["parc", "piste", "marché"], ballots, {"dots_per_voter": 5, "max_per_option": 3}
    )
    assert result.scores == {"parc": 3, "piste": 6, "marché": 3}
    assert result.ranking == [["piste"], ["parc", "marché"]]


def test_score_ranks_by_total() -> None:
    ballots = [
        {"scores": {"parc": 5, "piste": 3, "marché": 0}},
        {"scores": {"parc": 1, "piste": 4, "marché": 5}},
        {"scores": {"parc": 2, "piste": 4, "marché": 2}},
    ]
    result = tally("score", ["parc", "piste", "marché"], ballots, {})  # default scale 0..5
    assert result.scores == {"parc": 8, "piste": 11, "marché": 7}
    assert result.ranking == [["piste"], ["parc"], ["marché"]]


def test_score_on_a_scale_with_negative_scores() -> None:
    ballots = [{"scores": {"pour": 2, "contre": -2}}, {"scores": {"pour": -1, "contre": 0}}]
    result = tally("score", ["pour", "contre"], ballots, {"min": -2, "max": 2})
    assert result.scores == {"pour": 1, "contre": -2}
    assert result.winner == "pour"


# --- Majority judgment: the tie-break by majority value -----------------------------------------
# Constructed. Grades (defaults): 0 À rejeter, 1 Insuffisant, 2 Passable, 3 Assez bien, 4 Bien,
# 5 Très bien. Five voters; voter i gives each option the i-th grade of its column:
#
#   parc    1 2 3 3 4      piste   2 2 3 4 4      marché  0 3 3 5 5      école   0 1 2 5 5
#
# Majority grades (lower medians): parc, piste and marché are all "Assez bien" (3); école is
# "Passable" (2) and comes last. Balinski & Laraki break the tie by removing one median grade
# from each tied option and taking the new majority grade, repeatedly:
#   remove a 3:  parc 1 2 3 4 → 2    piste 2 2 4 4 → 2    marché 0 3 5 5 → 3   ⇒ marché first
#   remove a 2:  parc 1 3 4   → 3    piste 2 4 4   → 4                         ⇒ piste, then parc
# Majority values: parc (3, 2, 3, 1, 4), piste (3, 2, 4, 2, 4), marché (3, 3, 5, 0, 5).

MJ_COLUMNS = {
    "parc": [1, 2, 3, 3, 4],
    "piste": [2, 2, 3, 4, 4],
    "marché": [0, 3, 3, 5, 5],
    "école": [0, 1, 2, 5, 5],
}


def mj_ballots() -> list[dict[str, dict[str, int]]]:
    return [{"grades": {o: grades[i] for o, grades in MJ_COLUMNS.items()}} for i in range(5)]


def test_majority_judgment_tie_broken_by_majority_value() -> None:
    result = tally("majority_judgment", list(MJ_COLUMNS), mj_ballots(), {})
    assert result.ranking == [["marché"], ["piste"], ["parc"], ["école"]]
    assert result.winner == "marché"
    assert result.scores == {"parc": 3, "piste": 3, "marché": 3, "école": 2}


def test_majority_value_is_read_median_first() -> None:
    def counts(grades: list[int]) -> list[int]:
        return [grades.count(g) for g in range(6)]

    assert majority_value(counts(MJ_COLUMNS["parc"])) == (3, 2, 3, 1, 4)
    assert majority_value(counts(MJ_COLUMNS["piste"])) == (3, 2, 4, 2, 4)
    assert majority_value(counts(MJ_COLUMNS["marché"])) == (3, 3, 5, 0, 5)
    # With an even number of grades the lower median comes first: 1 2 | 3 4 → 2, 3, 1, 4.
    assert majority_value(counts([1, 2, 3, 4])) == (2, 3, 1, 4)
    assert majority_grade(counts([1, 2, 3, 4])) == 2
    assert majority_value([0] * 6) == ()
    assert majority_grade([0] * 6) is None


def test_majority_judgment_details_give_profiles_and_gauges() -> None:
    result = tally("majority_judgment", list(MJ_COLUMNS), mj_ballots(), {})
    assert isinstance(result.details, MajorityJudgmentDetails)
    assert result.details.grades[3] == "Assez bien"
    profiles = result.details.profiles
    # parc: one grade above "Assez bien" (Bien), two below: p = 1/5, q = 2/5.
    assert profiles["parc"] == MeritProfile(
        counts=[0, 1, 1, 2, 1, 0], majority_grade=3, p=0.2, q=0.4, sign="-"
    )
    assert profiles["piste"] == MeritProfile(
        counts=[0, 0, 2, 1, 2, 0], majority_grade=3, p=0.4, q=0.4, sign="="
    )
    assert profiles["marché"] == MeritProfile(
        counts=[1, 0, 0, 2, 0, 2], majority_grade=3, p=0.4, q=0.2, sign="+"
    )


def test_majority_judgment_custom_grades() -> None:
    ballots = [{"grades": {"oui": 1, "non": 0}}, {"grades": {"oui": 1, "non": 1}}]
    result = tally("majority_judgment", ["oui", "non"], ballots, {"grades": ["Non", "Oui"]})
    assert result.winner == "oui"
    assert isinstance(result.details, MajorityJudgmentDetails)
    assert result.details.grades == ["Non", "Oui"]


@pytest.mark.parametrize("method", ["plurality", "borda", "irv", "schulze"])
def test_method_accepts_enum_or_string(method: str) -> None:
    from domain.voting import Method

    ballots = [{"choice": "a"}] if method == "plurality" else [{"ranking": ["a", "b"]}]
    assert tally(Method(method), ["a", "b"], ballots) == tally(method, ["a", "b"], ballots, {})


def test_package_docstring_example_runs() -> None:
    import doctest

    import domain.voting

    outcome = doctest.testmod(domain.voting)
    assert outcome.attempted > 0
    assert outcome.failed == 0
