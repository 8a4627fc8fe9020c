"""The rules of subjects (issue 22, #2), pure: one support per person whatever the case,
accents or spaces; the steps a subject may take; a refusal or a decline says why."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput, InvalidTransition
from domain.subjects import (
    Outcome,
    SubjectState,
    check_reason,
    identity_key,
    new_subject,
    next_state,
)


def test_a_supporter_is_the_same_person_whatever_the_case_accents_and_spaces() -> None:
    same = identity_key("Zoé Martin-Dupré", "Neudorf")
    assert identity_key("  zoe   MARTIN dupre ", "NEUDÖRF") == same
    assert identity_key("Zoé Martin-Dupré", "Krutenau") != same
    assert identity_key("Zoé Martine-Dupré", "Neudorf") != same


@pytest.mark.parametrize(("name", "hood"), [("", "Neudorf"), ("Zoé", "   "), ("x" * 81, "Gare")])
def test_a_supporter_gives_a_name_and_a_quartier(name: str, hood: str) -> None:
    with pytest.raises(InvalidInput):
        identity_key(name, hood)


def test_the_steps_of_a_subject() -> None:
    waiting = SubjectState.EN_MODERATION
    assert next_state(waiting, Outcome.PUBLISH, supports=0, minimum=10) is SubjectState.PUBLIE
    assert next_state(waiting, Outcome.REFUSE, supports=0, minimum=10) is SubjectState.REFUSE
    published = SubjectState.PUBLIE
    with pytest.raises(InvalidTransition) as early:
        next_state(published, Outcome.CONSTITUTE_AIC, supports=9, minimum=10)
    assert early.value.code == "subject_threshold_not_met"
    assert (
        next_state(published, Outcome.CONSTITUTE_AIC, supports=10, minimum=10) is SubjectState.AIC
    )
    # The city may open an AP or decline before the threshold.
    assert next_state(published, Outcome.OPEN_AP, supports=0, minimum=10) is SubjectState.AP
    assert next_state(published, Outcome.DECLINE, supports=0, minimum=10) is SubjectState.DECLINE
    for done in (SubjectState.AIC, SubjectState.AP, SubjectState.DECLINE, SubjectState.REFUSE):
        for outcome in Outcome:
            with pytest.raises(InvalidTransition):
                next_state(done, outcome, supports=100, minimum=1)
    with pytest.raises(InvalidTransition):
        next_state(waiting, Outcome.CONSTITUTE_AIC, supports=100, minimum=1)  # not moderated


def test_refusing_and_declining_say_why_publicly() -> None:
    for outcome in (Outcome.REFUSE, Outcome.DECLINE):
        with pytest.raises(InvalidInput):
            check_reason(outcome, "   ")
    assert check_reason(Outcome.DECLINE, "  Le terrain est privé. ") == "Le terrain est privé."
    assert check_reason(Outcome.PUBLISH, None) is None
    with pytest.raises(InvalidInput):
        check_reason(Outcome.DECLINE, "x" * 2001)


def test_what_is_public() -> None:
    assert {s for s in SubjectState if s.public} == {
        SubjectState.PUBLIE,
        SubjectState.AIC,
        SubjectState.AP,
        SubjectState.DECLINE,
    }


def test_a_proposal_is_tidied_and_checked() -> None:
    draft = new_subject(
        title="  Des   bancs ",
        why=" Parce que.\n\nVoilà. ",
        neighbourhood="  ",
        initiator_name=" Léa ",
        initiator_neighbourhood="Gare",
        show_name=True,
    )
    assert (draft.title, draft.why, draft.neighbourhood) == (
        "Des bancs",
        "Parce que.\n\nVoilà.",
        None,
    )
    with pytest.raises(InvalidInput) as missing:
        new_subject(
            title="t",
            why="  ",
            neighbourhood=None,
            initiator_name="Léa",
            initiator_neighbourhood=None,
            show_name=False,
        )
    assert missing.value.field == "why"
