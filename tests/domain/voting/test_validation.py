"""Every validation rule, one case each: its code, and a message naming what is at fault."""

from __future__ import annotations

from typing import Any

import pytest

from domain.voting import (
    BallotError,
    ParamsError,
    RunningTally,
    VotingError,
    tally,
    validate_ballot,
    validate_params,
)

OPTIONS = ["parc", "piste", "marché"]
SCORES = {"parc": 1, "piste": 2, "marché": 3}
GRADES = {"parc": 0, "piste": 5, "marché": 2}
DOTS = {"dots_per_voter": 5, "max_per_option": 3}


def french(error: VotingError) -> str:
    """The French message with its non-breaking spaces read as spaces."""
    return error.message_fr.replace("\u00a0", " ")


# (method, params, ballot, rule, the option the message must name)
BALLOT_CASES: list[tuple[str, dict[str, Any], Any, str, str | None]] = [
    ("plurality", {}, {"choice": "lac"}, "unknown_option", "lac"),
    ("approval", {}, {"approve": ["parc", "parc"]}, "duplicate_approval", "parc"),
    ("dots", DOTS, {"dots": {"piste": 3, "parc": 3}}, "over_budget", None),
    ("dots", DOTS, {"dots": {"piste": 4}}, "over_cap", "piste"),
    ("dots", DOTS, {"dots": {"parc": -1}}, "negative_dots", "parc"),
    ("score", {}, {"scores": {**SCORES, "piste": 6}}, "score_out_of_range", "piste"),
    ("score", {}, {"scores": {"parc": 1, "piste": 2}}, "missing_score", "marché"),
    ("borda", {}, {"ranking": ["piste", "parc"]}, "incomplete_ranking", "marché"),
    ("borda", {}, {"ranking": ["piste", "parc", "piste"]}, "duplicate_in_ranking", "piste"),
    ("irv", {}, {"ranking": ["marché", "marché"]}, "duplicate_in_ranking", "marché"),
    ("schulze", {}, {"ranking": ["parc", "lac"]}, "unknown_option", "lac"),
    ("majority_judgment", {}, {"grades": {**GRADES, "parc": 6}}, "grade_out_of_range", "parc"),
    ("majority_judgment", {}, {"grades": {**GRADES, "parc": -1}}, "grade_out_of_range", "parc"),
    ("majority_judgment", {}, {"grades": {"parc": 0, "piste": 1}}, "missing_grade", "marché"),
    ("score", {}, {"scores": {**SCORES, "lac": 1}}, "unknown_option", "lac"),
    # bad_shape: whatever is not the method's ballot form
    ("plurality", {}, ["parc"], "bad_shape", None),
    ("plurality", {}, {"ranking": ["parc"]}, "bad_shape", None),
    ("plurality", {}, {"choice": "parc", "comment": "!"}, "bad_shape", None),
    ("plurality", {}, {"choice": 3}, "bad_shape", None),
    ("approval", {}, {"approve": "parc"}, "bad_shape", None),
    ("irv", {}, {"ranking": {"parc": 1}}, "bad_shape", None),
    ("dots", DOTS, {"dots": ["parc"]}, "bad_shape", None),
    ("dots", DOTS, {"dots": {"parc": 1.5}}, "bad_shape", "parc"),
    ("score", {}, {"scores": {**SCORES, "parc": True}}, "bad_shape", "parc"),
    ("majority_judgment", {}, {"grades": {**GRADES, "piste": "Bien"}}, "bad_shape", "piste"),
]


@pytest.mark.parametrize(
    ("method", "params", "ballot", "rule", "option"),
    BALLOT_CASES,
    ids=[f"{case[0]}-{case[3]}-{i}" for i, case in enumerate(BALLOT_CASES)],
)
def test_ballot_rule(
    method: str, params: dict[str, Any], ballot: Any, rule: str, option: str | None
) -> None:
    with pytest.raises(BallotError) as caught:
        validate_ballot(method, OPTIONS, ballot, params)
    error = caught.value
    assert error.rule == rule
    assert str(error).startswith(f"{rule}: ")
    assert error.option == option
    if option is not None:
        assert repr(option) in str(error)
        assert f"« {option} »" in french(error)


def test_over_budget_names_the_counts_in_both_languages() -> None:
    with pytest.raises(BallotError) as caught:
        validate_ballot("dots", OPTIONS, {"dots": {"parc": 3, "piste": 3, "marché": 1}}, DOTS)
    assert str(caught.value) == "over_budget: 7 dots used, 5 allowed"
    assert french(caught.value) == "Trop de gommettes : 7 pour 5 autorisées"


def test_unknown_option_in_french() -> None:
    with pytest.raises(BallotError) as caught:
        validate_ballot("plurality", OPTIONS, {"choice": "lac"}, {})
    assert french(caught.value) == "Option inconnue : « lac »"


def test_ballot_errors_are_value_errors() -> None:
    assert issubclass(BallotError, ValueError)
    assert issubclass(ParamsError, ValueError)


@pytest.mark.parametrize(
    ("method", "ballot", "params"),
    [
        ("plurality", {"choice": "parc"}, {}),
        ("approval", {"approve": []}, {}),
        ("dots", {"dots": {}}, DOTS),
        ("dots", {"dots": {"parc": 3, "piste": 0, "marché": 2}}, DOTS),
        ("score", {"scores": SCORES}, {}),
        ("borda", {"ranking": ["marché", "parc", "piste"]}, {}),
        ("irv", {"ranking": []}, {}),
        ("schulze", {"ranking": ["piste"]}, {}),
        ("majority_judgment", {"grades": GRADES}, {}),
    ],
)
def test_valid_ballots_pass(method: str, ballot: dict[str, Any], params: dict[str, Any]) -> None:
    validate_ballot(method, OPTIONS, ballot, params)


def test_tally_checks_every_ballot_before_counting() -> None:
    ballots = [{"choice": "parc"}] * 10 + [{"choice": "lac"}]
    with pytest.raises(BallotError, match="unknown_option"):
        tally("plurality", OPTIONS, ballots, {})


def test_running_tally_refuses_an_invalid_ballot_and_stays_unchanged() -> None:
    running = RunningTally("plurality", OPTIONS, {})
    running.add({"choice": "parc"})
    with pytest.raises(BallotError):
        running.add({"choice": "lac"})
    assert running.result() == tally("plurality", OPTIONS, [{"choice": "parc"}], {})


# --- the vote's setup ----------------------------------------------------------------------------

# (method, options, params, rule, the parameter or option the message must name)
PARAMS_CASES: list[tuple[Any, Any, Any, str, str | None]] = [
    ("condorcet", OPTIONS, {}, "unknown_method", "condorcet"),
    ("plurality", [], {}, "no_options", None),
    ("plurality", "parc", {}, "bad_option", "parc"),
    ("plurality", ["parc", 3], {}, "bad_option", "3"),
    ("plurality", ["parc", "piste", "parc"], {}, "duplicate_option", "parc"),
    ("plurality", OPTIONS, {"dots_per_voter": 3}, "unknown_param", "dots_per_voter"),
    ("dots", OPTIONS, {"dots_per_voteur": 3}, "unknown_param", "dots_per_voteur"),
    ("dots", OPTIONS, {}, "missing_param", "dots_per_voter"),
    ("dots", OPTIONS, {"dots_per_voter": 0}, "bad_param", "dots_per_voter"),
    ("dots", OPTIONS, {"dots_per_voter": "5"}, "bad_param", "dots_per_voter"),
    ("dots", OPTIONS, {"dots_per_voter": 5, "max_per_option": 0}, "bad_param", "max_per_option"),
    ("score", OPTIONS, {"min": 0.5}, "bad_param", "min"),
    ("score", OPTIONS, {"min": 5, "max": 5}, "bad_score_range", "min"),
    ("score", OPTIONS, {"min": 6}, "bad_score_range", "min"),
    ("majority_judgment", OPTIONS, {"grades": ["Seule"]}, "bad_param", "grades"),
    ("majority_judgment", OPTIONS, {"grades": ["Bien", "Bien"]}, "bad_param", "grades"),
    ("majority_judgment", OPTIONS, {"grades": "Bien"}, "bad_param", "grades"),
    ("majority_judgment", OPTIONS, {"grades": ["", "Bien"]}, "bad_param", "grades"),
    ("plurality", OPTIONS, ["dots_per_voter"], "bad_param", "params"),
]


@pytest.mark.parametrize(
    ("method", "options", "params", "rule", "named"),
    PARAMS_CASES,
    ids=[f"{case[0]}-{case[3]}-{i}" for i, case in enumerate(PARAMS_CASES)],
)
def test_params_rule(method: Any, options: Any, params: Any, rule: str, named: str | None) -> None:
    with pytest.raises(ParamsError) as caught:
        validate_params(method, options, params)
    error = caught.value
    assert error.rule == rule
    assert str(error).startswith(f"{rule}: ")
    if named is not None:
        assert named in str(error)
    if rule in {"unknown_param", "missing_param", "bad_param", "bad_score_range"}:
        assert error.param == named
    # The same refusal from every entry point.
    with pytest.raises(ParamsError, match=f"^{rule}: "):
        tally(method, options, [], params)


def test_params_errors_speak_french_to_the_facilitator() -> None:
    with pytest.raises(ParamsError) as caught:
        validate_params("dots", OPTIONS, {})
    assert french(caught.value) == "Paramètre manquant : nombre de gommettes par personne"
    with pytest.raises(ParamsError) as caught:
        validate_params("plurality", ["parc", "parc"])
    assert french(caught.value) == "Option en double : « parc »"
    assert caught.value.option == "parc"


@pytest.mark.parametrize("method", ["irv", "schulze"])
def test_running_tally_refuses_methods_that_need_every_ballot(method: str) -> None:
    with pytest.raises(ParamsError) as caught:
        RunningTally(method, OPTIONS)
    assert caught.value.rule == "not_incremental"
    assert method in str(caught.value)


def test_ballots_are_checked_against_the_vote_params() -> None:
    with pytest.raises(BallotError, match="score_out_of_range"):
        validate_ballot("score", OPTIONS, {"scores": SCORES}, {"min": 0, "max": 2})
    validate_ballot("score", OPTIONS, {"scores": SCORES}, {"min": 0, "max": 3})
