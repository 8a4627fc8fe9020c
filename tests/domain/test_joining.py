"""Join codes, invitation codes, and the rule for joining an atelier."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ateliers import (
    Atelier,
    AtelierStatus,
    close,
    constitute_if_ready,
    constitution_status,
    new_atelier,
    revise_charter,
)
from domain.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from domain.joining import (
    ALPHABET,
    INVITATION_CODE_LENGTH,
    INVITATION_ROLES,
    JOIN_CODE_LENGTH,
    Admission,
    Invitation,
    accept_charter,
    format_code,
    generate_invitation_code,
    generate_join_code,
    is_valid_invitation_code,
    is_valid_join_code,
    issue_invitation,
    join,
    normalize_invitation_code,
    normalize_join_code,
    redeem_invitation,
)
from domain.roles import INVITED_ROLES, OPEN_ROLES, Role
from domain.sessions import Session, new_session, revoke

NOW = datetime(2017, 12, 12, 18, 0, tzinfo=UTC)
AMBIGUOUS = "0O1IL5S2Z8B"  # the characters the brief rules out
ALSO_LEFT_OUT = "GQUV"  # and the ones this alphabet also leaves out (see domain/joining.py)
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
SPACES = " \t\u00a0\u202f\u3000"

codes = st.text(alphabet=ALPHABET, min_size=JOIN_CODE_LENGTH, max_size=JOIN_CODE_LENGTH)


# --- the alphabet ----------------------------------------------------------------------------


def test_the_alphabet_has_no_look_alikes() -> None:
    assert ALPHABET == "34679ACDEFHJKMNPRTWXY"
    assert len(set(ALPHABET)) == len(ALPHABET) == 21
    assert not set(ALPHABET) & set(AMBIGUOUS + ALSO_LEFT_OUT)
    assert ALPHABET.upper() == ALPHABET


# --- join codes ------------------------------------------------------------------------------


@given(st.randoms(use_true_random=False))
def test_generated_join_codes_are_valid_and_canonical(rng: random.Random) -> None:
    code = generate_join_code(rng)
    assert len(code) == JOIN_CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set(AMBIGUOUS)
    assert is_valid_join_code(code)
    assert normalize_join_code(code) == code


@given(st.randoms(use_true_random=False))
def test_generated_invitation_codes_are_valid_and_canonical(rng: random.Random) -> None:
    code = generate_invitation_code(rng)
    assert len(code) == INVITATION_CODE_LENGTH
    assert not set(code) & set(AMBIGUOUS)
    assert is_valid_invitation_code(code)
    assert not is_valid_join_code(code)  # the two kinds cannot be mistaken for one another
    assert normalize_invitation_code(format_code(code)) == code


def test_generation_follows_the_randomness_it_is_given() -> None:
    assert generate_join_code(random.Random(7)) == generate_join_code(random.Random(7))
    assert generate_join_code(random.Random(7)) != generate_join_code(random.Random(8))


def test_codes_are_shown_in_groups_of_four() -> None:
    assert format_code("ACDEF347") == "ACDE-F347"
    assert format_code("ACDEF347KMNP") == "ACDE-F347-KMNP"


@st.composite
def noisy(draw: st.DrawFn, code: str) -> str:
    """``code`` as someone might type it: any case, spaces and dashes anywhere."""
    out = []
    for char in code:
        out.append(draw(st.text(alphabet=SPACES + DASHES, max_size=2)))
        out.append(char.lower() if draw(st.booleans()) else char)
    out.append(draw(st.text(alphabet=SPACES + DASHES, max_size=2)))
    return "".join(out)


@given(codes.flatmap(lambda code: st.tuples(st.just(code), noisy(code))))
def test_codes_survive_case_space_and_dash_noise(pair: tuple[str, str]) -> None:
    code, typed = pair
    assert normalize_join_code(typed) == code


@given(st.text(max_size=30) | codes | codes.flatmap(noisy))
def test_normalization_is_idempotent_and_agrees_with_validity(text: str) -> None:
    if not is_valid_join_code(text):
        with pytest.raises(InvalidInput) as caught:
            normalize_join_code(text)
        assert caught.value.field == "code"
        return
    canonical = normalize_join_code(text)
    assert normalize_join_code(canonical) == canonical
    assert normalize_join_code(format_code(canonical)) == canonical
    assert set(canonical) <= set(ALPHABET)


def test_full_width_input_is_folded() -> None:
    assert normalize_join_code("ａｃｄｅ－ｆ３４７") == "ACDEF347"


@pytest.mark.parametrize("char", list(AMBIGUOUS + ALSO_LEFT_OUT + "osgl"))
def test_look_alikes_are_refused_by_name_not_guessed(char: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_join_code("ACD" + char + "F347")
    error = caught.value
    assert error.code == "ambiguous_character"
    assert f"«\u00a0{char.upper()}\u00a0»" in error.message_fr
    assert f"“{char.upper()}”" in error.message_en


def test_the_look_alike_message_explains_itself() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_join_code("ACDO-F347")
    assert "0 et O se confondent" in caught.value.message_fr
    assert "0 and O look alike" in caught.value.message_en


@pytest.mark.parametrize("typed", ["ACDE#F34", "ACDE_F347", "ACDÉF347", "ACDE.F347"])
def test_other_characters_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="invalid_character"):
        normalize_join_code(typed)


@pytest.mark.parametrize("typed", ["", "ACDE-F34", "ACDE-F347-K", "ACDE-F347-KMNP"])
def test_wrong_lengths_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_join_code(typed)
    assert caught.value.code == "wrong_length"
    assert "8 caractères" in caught.value.message_fr


# --- invitations -----------------------------------------------------------------------------


def make_atelier(**changes: Any) -> Atelier:
    fields: dict[str, Any] = {
        "id": "atl-1",
        "title": "Jardins partagés",
        "kind": "initiative_citoyenne",
        "scope": "quartier",
        "neighbourhood": "Neudorf",
        "charter_text": "Respect et écoute.",
        "min_residents": 2,
    }
    return new_atelier(**(fields | changes))


ATELIER = make_atelier()


def invite(role: Role = Role.ELU, atelier: Atelier = ATELIER, **kwargs: Any) -> Invitation:
    return issue_invitation(
        atelier, role, created_by="anim-1", now=NOW, rng=random.Random(1), **kwargs
    )


def test_an_invitation_is_bound_to_an_atelier_and_a_role_and_expires() -> None:
    invitation = invite(Role.AGENT, valid_for=timedelta(days=3))
    assert invitation.atelier_id == "atl-1"
    assert invitation.role is Role.AGENT
    assert invitation.expires_at == NOW + timedelta(days=3)
    assert invitation.created_by == "anim-1"
    assert not invitation.used
    assert is_valid_invitation_code(invitation.code)


def test_invitations_default_to_two_weeks() -> None:
    assert invite().expires_at == NOW + timedelta(days=14)


@pytest.mark.parametrize("role", sorted(INVITATION_ROLES))
def test_every_role_but_habitant_can_be_invited(role: Role) -> None:
    assert invite(role).role is role


def test_habitants_are_not_invited() -> None:
    with pytest.raises(InvalidInput) as caught:
        invite(Role.HABITANT)
    assert caught.value.code == "invitation_not_needed"


@pytest.mark.parametrize("valid_for", [timedelta(0), timedelta(seconds=-1), timedelta(days=91)])
def test_an_invitation_lasts_up_to_90_days(valid_for: timedelta) -> None:
    with pytest.raises(InvalidInput, match="invalid_validity"):
        invite(valid_for=valid_for)


def test_a_closed_atelier_issues_no_invitation() -> None:
    with pytest.raises(InvalidTransition, match="atelier_closed"):
        invite(atelier=close(ATELIER))


def test_redeeming_marks_the_invitation_used() -> None:
    used = redeem_invitation(invite(), "atl-1", NOW, role=Role.ELU, participant_id="p1")
    assert (used.used, used.used_at, used.used_by) == (True, NOW, "p1")


def test_an_invitation_is_single_use() -> None:
    used = redeem_invitation(invite(), "atl-1", NOW)
    with pytest.raises(Conflict) as caught:
        redeem_invitation(used, "atl-1", NOW)
    assert caught.value.code == "invitation_used"
    assert "déjà servi" in caught.value.message_fr
    assert "already been used" in caught.value.message_en


def test_an_invitation_is_for_one_atelier() -> None:
    with pytest.raises(Forbidden) as caught:
        redeem_invitation(invite(), "atl-2", NOW)
    assert caught.value.code == "invitation_wrong_atelier"
    assert "autre atelier" in caught.value.message_fr


def test_an_invitation_expires() -> None:
    invitation = invite(valid_for=timedelta(hours=1))
    redeem_invitation(invitation, "atl-1", NOW + timedelta(minutes=59, seconds=59))
    with pytest.raises(Forbidden) as caught:
        redeem_invitation(invitation, "atl-1", NOW + timedelta(hours=1))
    assert caught.value.code == "invitation_expired"
    assert "expiré" in caught.value.message_fr


def test_an_invitation_is_for_one_role() -> None:
    with pytest.raises(Forbidden) as caught:
        redeem_invitation(invite(Role.AGENT), "atl-1", NOW, role=Role.ELU)
    assert caught.value.code == "invitation_wrong_role"
    assert "agent" in caught.value.message_fr


def test_the_wrong_atelier_is_reported_before_anything_else() -> None:
    stale = redeem_invitation(invite(valid_for=timedelta(hours=1)), "atl-1", NOW)
    with pytest.raises(Forbidden, match="invitation_wrong_atelier"):
        redeem_invitation(stale, "atl-2", NOW + timedelta(days=1), role=Role.AGENT)


def test_an_invitation_survives_a_json_round_trip() -> None:
    invitation = redeem_invitation(invite(), "atl-1", NOW, participant_id="p1")
    assert msgspec.json.decode(msgspec.json.encode(invitation), type=Invitation) == invitation


def test_an_invitation_code_is_stored_canonical() -> None:
    with pytest.raises(InvalidInput, match="not_normalized"):
        msgspec.structs.replace(invite(), code=format_code(invite().code))


# --- joining ---------------------------------------------------------------------------------

SESSION: Session = new_session(
    id="s1", atelier_id="atl-1", number=1, date=date(2017, 12, 12), mode="presentiel", place="X"
)


def enter(
    role: Role | str = Role.HABITANT,
    *,
    atelier: Atelier = ATELIER,
    session: Session | None = SESSION,
    name: str = "Zoé",
    charter: int | None = 1,
    invitation: Invitation | None = None,
    pid: str = "p1",
) -> Admission:
    return join(atelier, session, name, role, charter, invitation, NOW, participant_id=pid)


@pytest.mark.parametrize("role", sorted(OPEN_ROLES))
def test_habitants_and_observers_join_without_invitation(role: Role) -> None:
    admission = enter(role)
    participant = admission.participant
    assert admission.invitation is None
    assert (participant.id, participant.atelier_id, participant.role) == ("p1", "atl-1", role)
    assert (participant.charter_version, participant.joined_at) == (1, NOW)
    assert not participant.revoked
    assert participant.show_name_in_minutes is False


def test_joining_without_a_session_is_allowed() -> None:
    assert enter(session=None).participant.role is Role.HABITANT


@pytest.mark.parametrize("role", sorted(INVITED_ROLES))
def test_the_other_roles_need_an_invitation(role: Role) -> None:
    with pytest.raises(Forbidden) as caught:
        enter(role)
    assert caught.value.code == "invitation_required"
    assert role.label_fr in caught.value.message_fr


@pytest.mark.parametrize("role", sorted(INVITED_ROLES))
def test_the_other_roles_join_with_their_invitation(role: Role) -> None:
    admission = enter(role, invitation=invite(role))
    assert admission.participant.role is role
    assert admission.invitation is not None
    assert (admission.invitation.used_at, admission.invitation.used_by) == (NOW, "p1")


def test_an_observer_may_also_come_with_an_invitation() -> None:
    admission = enter(Role.OBSERVATEUR, invitation=invite(Role.OBSERVATEUR))
    assert admission.invitation is not None


def test_an_invitation_cannot_be_used_for_another_role() -> None:
    with pytest.raises(Forbidden, match="invitation_wrong_role"):
        enter(Role.ANIMATEUR, invitation=invite(Role.ELU))
    with pytest.raises(Forbidden, match="invitation_wrong_role"):
        enter(Role.HABITANT, invitation=invite(Role.ELU))


def test_an_invitation_admits_one_person_only() -> None:
    first = enter(Role.ELU, invitation=invite(Role.ELU))
    with pytest.raises(Conflict, match="invitation_used"):
        enter(Role.ELU, invitation=first.invitation, pid="p2")


def test_an_expired_or_foreign_invitation_does_not_admit() -> None:
    expired = issue_invitation(
        ATELIER,
        Role.ELU,
        created_by="a",
        now=NOW - timedelta(days=30),
        rng=random.Random(2),
        valid_for=timedelta(days=14),
    )
    with pytest.raises(Forbidden, match="invitation_expired"):
        enter(Role.ELU, invitation=expired)
    other = invite(Role.ELU, atelier=make_atelier(id="atl-2"))
    with pytest.raises(Forbidden, match="invitation_wrong_atelier"):
        enter(Role.ELU, invitation=other)


def test_the_charter_must_be_accepted() -> None:
    with pytest.raises(Forbidden) as caught:
        enter(charter=None)
    assert (caught.value.code, caught.value.field) == ("charter_not_accepted", "charter_version")
    assert "charte" in caught.value.message_fr


def test_the_charter_accepted_must_be_the_current_one() -> None:
    revised = revise_charter(ATELIER, "Respect, écoute et bienveillance.")
    with pytest.raises(Conflict) as caught:
        enter(atelier=revised, charter=1)
    assert caught.value.code == "charter_version_mismatch"
    assert "version 2" in caught.value.message_fr
    assert enter(atelier=revised, charter=2).participant.charter_version == 2


def test_the_invitation_is_checked_before_the_charter() -> None:
    with pytest.raises(Forbidden, match="invitation_required"):
        enter(Role.ELU, charter=None)


def test_a_closed_atelier_refuses_joins() -> None:
    with pytest.raises(InvalidTransition) as caught:
        enter(atelier=close(ATELIER))
    assert caught.value.code == "atelier_closed"


def test_the_session_must_belong_to_the_atelier() -> None:
    elsewhere = msgspec.structs.replace(SESSION, atelier_id="atl-2")
    with pytest.raises(InvalidInput, match="session_wrong_atelier"):
        enter(session=elsewhere)


def test_the_display_name_is_tidied_and_checked() -> None:
    assert enter(name="  Zoé   Martin ").participant.display_name == "Zoé Martin"
    with pytest.raises(InvalidInput) as caught:
        enter(name="   ")
    assert (caught.value.code, caught.value.field) == ("empty", "display_name")


def test_the_display_name_is_checked_before_the_invitation() -> None:
    """A typo in the name must not be reported as a problem with a valid invitation."""
    with pytest.raises(InvalidInput) as caught:
        enter(Role.ELU, name="\x00", invitation=invite(Role.ELU, atelier=make_atelier(id="x")))
    assert caught.value.field == "display_name"


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown_role"):
        enter("maire")


def test_consent_to_be_named_is_recorded() -> None:
    admission = join(
        ATELIER,
        SESSION,
        "Zoé",
        Role.HABITANT,
        1,
        None,
        NOW,
        participant_id="p1",
        show_name_in_minutes=True,
    )
    assert admission.participant.show_name_in_minutes is True


def test_joining_residents_constitute_the_atelier() -> None:
    """The server's sequence: join, then constitute_if_ready."""
    atelier = ATELIER  # min_residents = 2
    people = [enter(pid="p1").participant, enter(Role.OBSERVATEUR, pid="p2").participant]
    assert constitute_if_ready(atelier, people).status is AtelierStatus.EN_CONSTITUTION
    people.append(enter(pid="p3", name="Ali").participant)
    assert constitute_if_ready(atelier, people).status is AtelierStatus.CONSTITUEE


# --- accepting a revised charter -------------------------------------------------------------


def test_accepting_the_new_charter_counts_again() -> None:
    people = [enter(pid=f"p{n}").participant for n in range(2)]
    revised = revise_charter(ATELIER, "Nouvelle charte")
    assert constitution_status(revised, people).counted == 0
    people = [accept_charter(p, revised, 2) for p in people]
    assert constitution_status(revised, people).met


def test_accept_charter_refusals() -> None:
    participant = enter().participant
    revised = revise_charter(ATELIER, "Nouvelle charte")
    with pytest.raises(Conflict, match="charter_version_mismatch"):
        accept_charter(participant, revised, 1)
    with pytest.raises(Forbidden, match="participant_revoked"):
        accept_charter(revoke(participant, NOW), revised, 2)
    with pytest.raises(Forbidden, match="wrong_atelier"):
        accept_charter(participant, make_atelier(id="atl-2"), 1)
