"""Ateliers: fields and their checks, the charter's versions, constitution and the lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from domain.ateliers import (
    Atelier,
    AtelierKind,
    AtelierStatus,
    Charter,
    Instance,
    Scope,
    activate,
    close,
    constitute,
    constitute_if_ready,
    constitution_status,
    edit_atelier,
    new_atelier,
    refuse_if_closed,
    reopen,
    revise_charter,
)
from domain.errors import InvalidInput, InvalidTransition
from domain.roles import Role
from domain.sessions import Participant

NOW = datetime(2017, 12, 12, 18, 0, tzinfo=UTC)


def make_atelier(**changes: Any) -> Atelier:
    fields: dict[str, Any] = {
        "id": "atl-1",
        "title": "Jardins partagés",
        "kind": "initiative_citoyenne",
        "scope": "quartier",
        "neighbourhood": "Neudorf",
        "charter_text": "Respect et écoute.",
        "min_residents": 3,
    }
    return new_atelier(**(fields | changes))


def person(
    n: int,
    role: Role = Role.HABITANT,
    charter_version: int | None = 1,
    atelier_id: str = "atl-1",
    revoked: bool = False,
) -> Participant:
    return Participant(
        id=f"p{n}",
        atelier_id=atelier_id,
        display_name=f"Personne {n}",
        role=role,
        charter_version=charter_version,
        joined_at=NOW,
        revoked_at=NOW if revoked else None,
    )


def residents(count: int) -> list[Participant]:
    return [person(n) for n in range(count)]


def with_status(status: AtelierStatus) -> Atelier:
    return msgspec.structs.replace(make_atelier(), status=status)


# --- fields ----------------------------------------------------------------------------------


def test_a_new_atelier_is_being_formed_with_charter_version_1() -> None:
    atelier = make_atelier()
    assert atelier.status is AtelierStatus.EN_CONSTITUTION
    assert atelier.charter == Charter(1, "Respect et écoute.")
    assert atelier.kind is AtelierKind.INITIATIVE_CITOYENNE
    assert atelier.scope is Scope.QUARTIER


def test_new_atelier_tidies_what_was_typed() -> None:
    atelier = make_atelier(
        title="  Jardins   partagés ",
        subject="\n Un jardin par rue.\r\n",
        instances=["CQ", "ATP", "CQ"],
        pilots=[" Zoé ", "", "Ali", "Zoé"],
        image="  ",
        neighbourhood=" Neudorf ",
    )
    assert atelier.title == "Jardins partagés"
    assert atelier.subject == "Un jardin par rue."
    assert atelier.instances == (Instance.CQ, Instance.ATP)
    assert atelier.pilots == ("Zoé", "Ali")
    assert atelier.image is None
    assert atelier.neighbourhood == "Neudorf"


def test_an_empty_neighbourhood_counts_as_none() -> None:
    atelier = make_atelier(scope="ville", neighbourhood="  ")
    assert atelier.neighbourhood is None


def test_the_title_may_have_200_characters() -> None:
    assert len(make_atelier(title="x" * 200).title) == 200


def test_min_residents_bounds_are_inclusive() -> None:
    assert make_atelier(min_residents=1).min_residents == 1
    assert make_atelier(min_residents=10_000).min_residents == 10_000


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": ""}, "empty", "title"),
        ({"title": "   "}, "empty", "title"),
        ({"title": "x" * 201}, "too_long", "title"),
        ({"title": "Jardins\x00"}, "control_character", "title"),
        ({"subject": "x" * 20_001}, "too_long", "subject"),
        ({"kind": "association"}, "unknown_kind", "kind"),
        ({"scope": "region"}, "unknown_scope", "scope"),
        ({"instances": ["CQ", "XYZ"]}, "unknown_instance", "instances"),
        ({"neighbourhood": None}, "neighbourhood_required", "neighbourhood"),
        ({"scope": "ville"}, "neighbourhood_unexpected", "neighbourhood"),
        ({"pilots": [f"P{n}" for n in range(21)]}, "too_many_pilots", "pilots"),
        ({"pilots": ["x" * 81]}, "too_long", "pilots"),
        ({"image": "mon image.png"}, "invalid_image", "image"),
        ({"image": "x" * 501}, "invalid_image", "image"),
        ({"min_residents": 0}, "invalid_min_residents", "min_residents"),
        ({"min_residents": 10_001}, "invalid_min_residents", "min_residents"),
        ({"id": "atl 1"}, "invalid_id", "id"),
        ({"charter_text": "x" * 20_001}, "too_long", "charter.text"),
    ],
)
def test_invalid_fields_are_refused_with_their_name(
    changes: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_atelier(**changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.message_fr
    assert caught.value.message_en


def test_the_checks_hold_however_an_atelier_is_built() -> None:
    """Directly, by replace() and by decoding: an invalid atelier cannot exist."""
    atelier = make_atelier()
    with pytest.raises(InvalidInput, match="duplicate_instance"):
        msgspec.structs.replace(atelier, instances=(Instance.CQ, Instance.CQ))
    with pytest.raises(InvalidInput, match="duplicate_pilot"):
        msgspec.structs.replace(atelier, pilots=("Zoé", "Zoé"))
    with pytest.raises(InvalidInput, match="not_normalized"):
        msgspec.structs.replace(atelier, title=" Jardins")
    raw = msgspec.json.encode(atelier).replace(b'"Neudorf"', b"null")
    with pytest.raises(InvalidInput, match="neighbourhood_required"):
        msgspec.json.decode(raw, type=Atelier)


def test_an_atelier_survives_a_json_round_trip() -> None:
    atelier = make_atelier(instances=["CQ", "CRE"], pilots=["Zoé"], image="ateliers/jardins.png")
    assert msgspec.json.decode(msgspec.json.encode(atelier), type=Atelier) == atelier


def test_charter_versions_start_at_1() -> None:
    with pytest.raises(InvalidInput, match="invalid_charter_version"):
        Charter(0, "")


def test_instances_carry_the_seeds_full_names() -> None:
    assert {i.value: i.name_fr for i in Instance} == {
        "CQ": "Conseil de quartier",
        "CC": "Conseil citoyen",
        "CRE": "Conseil des résidents étrangers",
        "CDJ": "Conseil des jeunes",
        "CD": "Conseil de développement",
        "ATP": "Ateliers territoriaux de partenaires",
    }
    assert all(i.name_en for i in Instance)


def test_kinds_and_scopes_carry_the_seeds_abbreviations() -> None:
    assert AtelierKind.INITIATIVE_CITOYENNE.abbreviation == "AIC"
    assert AtelierKind.PROJET.abbreviation == "AP"
    assert Scope.QUARTIER.abbreviation == "AQ"
    assert Scope.VILLE.abbreviation == "AV"
    assert AtelierKind.INITIATIVE_CITOYENNE.label_fr == "atelier d’initiative citoyenne"
    assert make_atelier().tag == "AIC · AQ Neudorf"
    assert all(s.label_fr and s.label_en for s in AtelierStatus)


# --- editing ---------------------------------------------------------------------------------


def test_edit_changes_only_what_is_given() -> None:
    atelier = constitute(make_atelier(), residents(3))
    edited = edit_atelier(atelier, title=" Jardins et vergers ", pilots=["Ali"])
    assert edited.title == "Jardins et vergers"
    assert edited.pilots == ("Ali",)
    assert edited.neighbourhood == atelier.neighbourhood
    assert edited.charter == atelier.charter
    assert edited.status is AtelierStatus.CONSTITUEE


def test_edit_to_city_scope_must_drop_the_neighbourhood() -> None:
    atelier = make_atelier()
    with pytest.raises(InvalidInput, match="neighbourhood_unexpected"):
        edit_atelier(atelier, scope="ville")
    city = edit_atelier(atelier, scope="ville", neighbourhood=None)
    assert (city.scope, city.neighbourhood) == (Scope.VILLE, None)


def test_a_closed_atelier_cannot_be_edited() -> None:
    with pytest.raises(InvalidTransition) as caught:
        edit_atelier(close(make_atelier()), title="Autre")
    assert caught.value.code == "atelier_closed"


def test_a_closed_atelier_refuses_every_change_with_one_message() -> None:
    refuse_if_closed(make_atelier())  # open: nothing to say
    with pytest.raises(InvalidTransition) as caught:
        refuse_if_closed(close(make_atelier()))
    assert caught.value.code == "atelier_closed"
    assert caught.value.message_fr == "Cet atelier est clos\u00a0: il ne peut plus être modifié."


def test_reopening_goes_back_to_gathering_people_or_to_work() -> None:
    closed = close(make_atelier())
    assert reopen(closed, residents(2)).status is AtelierStatus.EN_CONSTITUTION
    assert reopen(closed, residents(3)).status is AtelierStatus.CONSTITUEE
    with pytest.raises(InvalidTransition) as caught:
        reopen(make_atelier(), residents(3))
    assert caught.value.code == "atelier_not_closed"


# --- the charter -----------------------------------------------------------------------------


def test_a_new_charter_text_is_a_new_version() -> None:
    revised = revise_charter(make_atelier(), "Respect, écoute et bienveillance.")
    assert revised.charter == Charter(2, "Respect, écoute et bienveillance.")
    assert revise_charter(revised, "Autre texte").charter.version == 3


def test_the_same_charter_text_is_not_a_new_version() -> None:
    atelier = make_atelier()
    assert revise_charter(atelier, "  Respect et écoute.\n") is atelier


def test_a_closed_atelier_keeps_its_charter() -> None:
    with pytest.raises(InvalidTransition, match="atelier_closed"):
        revise_charter(close(make_atelier()), "Nouveau")


# --- constitution ----------------------------------------------------------------------------


def test_the_threshold_counts_residents_who_accepted_the_current_charter() -> None:
    atelier = make_atelier(min_residents=3)
    assert constitution_status(atelier, residents(2)).met is False
    status = constitution_status(atelier, residents(3))
    assert (status.required, status.counted, status.missing, status.met) == (3, 3, 0, True)


@pytest.mark.parametrize(
    "outsider",
    [
        person(9, role=Role.ELU),
        person(9, role=Role.AGENT),
        person(9, role=Role.ANIMATEUR),
        person(9, role=Role.CONSEIL),
        person(9, role=Role.OBSERVATEUR),
        person(9, charter_version=None),
        person(9, charter_version=2),
        person(9, revoked=True),
        person(9, atelier_id="atl-2"),
        person(0),  # the same person twice
    ],
    ids=[
        "elu",
        "agent",
        "animateur",
        "conseil",
        "observateur",
        "charter-not-accepted",
        "other-charter-version",
        "revoked",
        "other-atelier",
        "duplicate",
    ],
)
def test_these_do_not_count_towards_constitution(outsider: Participant) -> None:
    status = constitution_status(make_atelier(min_residents=3), [*residents(2), outsider])
    assert status.counted == 2
    assert not status.met


def test_a_new_charter_version_must_be_accepted_again_to_count() -> None:
    revised = revise_charter(make_atelier(min_residents=3), "Nouvelle charte")
    assert constitution_status(revised, residents(3)).counted == 0
    accepted = [person(n, charter_version=2) for n in range(3)]
    assert constitution_status(revised, accepted).met


def test_constitute_when_the_threshold_is_met() -> None:
    atelier = constitute(make_atelier(min_residents=3), residents(3))
    assert atelier.status is AtelierStatus.CONSTITUEE


def test_constitute_below_the_threshold_says_how_many_are_missing() -> None:
    with pytest.raises(InvalidTransition) as caught:
        constitute(make_atelier(min_residents=3), residents(1))
    assert caught.value.code == "constitution_threshold_not_met"
    assert "Il manque 2 habitant·e(s)" in caught.value.message_fr
    assert "(1 sur 3)" in caught.value.message_fr
    assert caught.value.message_en.startswith("2 more resident(s)")


def test_constitute_if_ready_constitutes_only_when_it_applies() -> None:
    forming = make_atelier(min_residents=3)
    assert constitute_if_ready(forming, residents(2)) is forming
    assert constitute_if_ready(forming, residents(3)).status is AtelierStatus.CONSTITUEE
    active = with_status(AtelierStatus.ACTIVE)
    assert constitute_if_ready(active, residents(3)) is active


# --- the lifecycle, every (status, transition) pair ------------------------------------------

EN, CO, AC, CL = (
    AtelierStatus.EN_CONSTITUTION,
    AtelierStatus.CONSTITUEE,
    AtelierStatus.ACTIVE,
    AtelierStatus.CLOSE,
)
TRANSITIONS: dict[str, Callable[[Atelier], Atelier]] = {
    "constitute": lambda a: constitute(a, residents(3)),
    "activate": activate,
    "close": close,
}
# (transition, from) -> to, or None when refused
LIFECYCLE: dict[tuple[str, AtelierStatus], AtelierStatus | None] = {
    ("constitute", EN): CO,
    ("constitute", CO): None,
    ("constitute", AC): None,
    ("constitute", CL): None,
    ("activate", EN): None,
    ("activate", CO): AC,
    ("activate", AC): None,
    ("activate", CL): None,
    ("close", EN): CL,
    ("close", CO): CL,
    ("close", AC): CL,
    ("close", CL): None,
}


def test_the_lifecycle_table_is_complete() -> None:
    assert set(LIFECYCLE) == {(t, s) for t in TRANSITIONS for s in AtelierStatus}


@pytest.mark.parametrize(("transition", "start"), list(LIFECYCLE))
def test_lifecycle(transition: str, start: AtelierStatus) -> None:
    atelier = with_status(start)
    expected = LIFECYCLE[transition, start]
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            TRANSITIONS[transition](atelier)
        assert caught.value.code == "invalid_transition"
        assert start.label_fr in caught.value.message_fr
    else:
        after = TRANSITIONS[transition](atelier)
        assert after.status is expected
        assert atelier.status is start  # values are never changed in place
        assert msgspec.structs.replace(after, status=start) == atelier
