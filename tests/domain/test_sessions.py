"""Séances (mode and place, steps, attendance) and participants (names, revocation)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
import pytest

from domain.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from domain.roles import Role
from domain.sessions import (
    AgendaItem,
    Attendance,
    Mode,
    Participant,
    Session,
    Writing,
    attendance_summary,
    cancel_session,
    check_in,
    check_out,
    go_to_step,
    new_session,
    next_step,
    normalize_display_name,
    previous_step,
    record_headcount,
    restore_session,
    revoke,
    start_session,
    writing_at,
)

NOW = datetime(2017, 12, 12, 18, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
STEPS = ("Accueil", "Lecture des propositions", "Échanges", "Points à traiter")


def make_session(**changes: Any) -> Session:
    fields: dict[str, Any] = {
        "id": "s1",
        "atelier_id": "atl-1",
        "number": 1,
        "date": date(2017, 12, 12),
        "mode": "presentiel",
        "place": "L’Aubette",
        "method_steps": STEPS,
    }
    return new_session(**(fields | changes))


def person(n: int, role: Role = Role.HABITANT, **changes: Any) -> Participant:
    fields: dict[str, Any] = {
        "id": f"p{n}",
        "atelier_id": "atl-1",
        "display_name": f"Personne {n}",
        "role": role,
        "charter_version": 1,
        "joined_at": NOW - timedelta(days=1),
    }
    return Participant(**(fields | changes))


# --- participants ----------------------------------------------------------------------------


def test_display_names_are_tidied() -> None:
    assert normalize_display_name("  Zoé   Martin ") == "Zoé Martin"


@pytest.mark.parametrize("name", ["Z", "x" * 80, "Zoé Martin", "Nguyễn Văn An", "مريم", "Ana 🌻"])
def test_display_names_accept(name: str) -> None:
    assert person(1, display_name=name).display_name == name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "empty"),
        ("x" * 81, "too_long"),
        ("Zoé\nMartin", "control_character"),
        ("Zoé\x00", "control_character"),
        ("\x1b[31mZoé", "control_character"),
        ("Zoé\u202eniatraM", "control_character"),
        (" Zoé", "not_normalized"),
    ],
)
def test_display_names_refuse(name: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        person(1, display_name=name)
    assert (caught.value.code, caught.value.field) == (code, "display_name")


def test_a_participant_does_not_consent_to_be_named_by_default() -> None:
    assert person(1).show_name_in_minutes is False


def test_participant_times_must_be_aware_and_in_order() -> None:
    with pytest.raises(InvalidInput, match="naive_datetime"):
        person(1, joined_at=datetime(2017, 12, 12))
    with pytest.raises(InvalidInput, match="revoked_before_joining"):
        person(1, joined_at=NOW, revoked_at=NOW - timedelta(seconds=1))


def test_revoke_withdraws_access_once() -> None:
    revoked = revoke(person(1), NOW)
    assert revoked.revoked
    assert revoked.revoked_at == NOW
    with pytest.raises(Conflict) as caught:
        revoke(revoked, LATER)
    assert caught.value.code == "already_revoked"
    assert "Personne 1" in caught.value.message_fr


# --- mode, place and link --------------------------------------------------------------------

LINK = "https://visio.example.org/atelier"


@pytest.mark.parametrize(
    ("mode", "place", "link", "code"),
    [
        ("presentiel", "L’Aubette", None, None),
        ("presentiel", None, None, "place_required"),
        ("presentiel", "L’Aubette", LINK, "remote_link_unexpected"),
        ("distanciel", None, LINK, None),
        ("distanciel", None, None, "remote_link_required"),
        ("distanciel", "L’Aubette", LINK, "place_unexpected"),
        ("hybride", "L’Aubette", LINK, None),
        ("hybride", None, LINK, "place_required"),
        ("hybride", "L’Aubette", None, "remote_link_required"),
        ("hybride", "  ", LINK, "place_required"),  # a blank place is no place
    ],
)
def test_each_mode_needs_its_place_and_link(
    mode: str, place: str | None, link: str | None, code: str | None
) -> None:
    if code is None:
        session = make_session(mode=mode, place=place, remote_link=link)
        assert session.mode is Mode(mode)
        return
    with pytest.raises(InvalidInput) as caught:
        make_session(mode=mode, place=place, remote_link=link)
    assert caught.value.code == code
    assert caught.value.field in {"place", "remote_link"}


@pytest.mark.parametrize(
    "link", ["visio.example.org", "ftp://x.org", "https://a b", "javascript:x"]
)
def test_the_remote_link_is_a_web_address(link: str) -> None:
    with pytest.raises(InvalidInput, match="invalid_remote_link"):
        make_session(mode="distanciel", place=None, remote_link=link)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown_mode"):
        make_session(mode="en_ligne")


def test_modes_have_labels() -> None:
    assert [m.label_fr for m in Mode] == [
        "en présentiel",
        "à distance",
        "hybride (sur place et à distance)",
    ]
    assert all(m.label_en for m in Mode)


# --- other fields ----------------------------------------------------------------------------


def test_times_end_after_they_start() -> None:
    session = make_session(start_time=time(18, 30), end_time=time(20, 30))
    assert (session.start_time, session.end_time) == (time(18, 30), time(20, 30))
    with pytest.raises(InvalidInput, match="end_before_start"):
        make_session(start_time=time(18, 30), end_time=time(18, 30))
    with pytest.raises(InvalidInput, match="end_without_start"):
        make_session(end_time=time(20, 30))


def test_sessions_are_numbered_from_1() -> None:
    with pytest.raises(InvalidInput, match="invalid_number"):
        make_session(number=0)


def test_new_session_drops_blank_lines_and_tidies_the_rest() -> None:
    session = make_session(
        objectives=["  Étudier la faisabilité ", "", "  "],
        agenda=[AgendaItem("Accueil", 10)],
        next_agenda=["Revoir les noms", " "],
    )
    assert session.objectives == ("Étudier la faisabilité",)
    assert session.agenda == (AgendaItem("Accueil", 10),)
    assert session.next_agenda == ("Revoir les noms",)
    assert session.current_step is None
    assert session.attendance == ()


@pytest.mark.parametrize("minutes", [0, 601])
def test_agenda_items_last_from_1_to_600_minutes(minutes: int) -> None:
    with pytest.raises(InvalidInput, match="invalid_minutes"):
        AgendaItem("Accueil", minutes)


def test_lists_are_bounded() -> None:
    with pytest.raises(InvalidInput, match="too_many_items"):
        make_session(objectives=[f"Objectif {n}" for n in range(51)])


def test_a_session_survives_a_json_round_trip() -> None:
    session = check_in(
        start_session(make_session(start_time=time(18, 30), agenda=[AgendaItem("Accueil")])),
        person(1),
        NOW,
    )
    assert msgspec.json.decode(msgspec.json.encode(session), type=Session) == session


# --- steps -----------------------------------------------------------------------------------


def test_start_goes_to_the_first_step() -> None:
    assert start_session(make_session()).current_step == 0


def test_start_refuses_twice_and_without_steps() -> None:
    with pytest.raises(InvalidTransition, match="session_already_started"):
        start_session(start_session(make_session()))
    with pytest.raises(InvalidTransition, match="no_method_steps"):
        start_session(make_session(method_steps=()))


def test_next_walks_every_step_then_refuses() -> None:
    session = start_session(make_session())
    seen = [session.current_step]
    for _ in range(len(STEPS) - 1):
        session = next_step(session)
        seen.append(session.current_step)
    assert seen == [0, 1, 2, 3]
    with pytest.raises(InvalidTransition, match="no_next_step"):
        next_step(session)


def test_previous_goes_back_then_refuses_at_the_first_step() -> None:
    session = go_to_step(start_session(make_session()), 1)
    assert previous_step(session).current_step == 0
    with pytest.raises(InvalidTransition, match="no_previous_step"):
        previous_step(previous_step(session))


@pytest.mark.parametrize("index", range(len(STEPS)))
def test_go_to_any_step(index: int) -> None:
    assert go_to_step(start_session(make_session()), index).current_step == index


@pytest.mark.parametrize("index", [-1, len(STEPS), 99])
def test_go_to_refuses_a_step_out_of_range(index: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        go_to_step(start_session(make_session()), index)
    assert (caught.value.code, caught.value.field) == ("step_out_of_range", "step")
    assert "4" in caught.value.message_fr  # how many steps there are


@pytest.mark.parametrize("move", [next_step, previous_step, lambda s: go_to_step(s, 0)])
def test_moving_needs_a_started_session(move: Any) -> None:
    with pytest.raises(InvalidTransition, match="session_not_started"):
        move(make_session())


def test_the_current_step_always_points_at_a_step() -> None:
    with pytest.raises(InvalidInput, match="step_out_of_range"):
        msgspec.structs.replace(start_session(make_session()), method_steps=())


# --- cancelling ------------------------------------------------------------------------------


def test_cancelling_keeps_the_agenda_and_says_why() -> None:
    planned = make_session(agenda=[AgendaItem("Accueil", 10)], objectives=["Choisir"])
    cancelled = cancel_session(planned, "  Salle   indisponible ", NOW)
    assert cancelled.cancelled
    assert (cancelled.cancelled_at, cancelled.cancel_reason) == (NOW, "Salle indisponible")
    assert (cancelled.agenda, cancelled.objectives, cancelled.method_steps) == (
        planned.agenda,
        planned.objectives,
        planned.method_steps,
    )
    assert msgspec.json.decode(msgspec.json.encode(cancelled), type=Session) == cancelled


def test_a_blank_reason_is_no_reason() -> None:
    assert cancel_session(make_session(), "   ", NOW).cancel_reason is None
    assert cancel_session(make_session(), None, NOW).cancel_reason is None


def test_cancelling_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="session_already_cancelled"):
        cancel_session(cancel_session(make_session(), None, NOW), "encore", LATER)


def test_a_started_seance_is_not_cancelled() -> None:
    with pytest.raises(InvalidTransition, match="session_already_started"):
        cancel_session(start_session(make_session()), None, NOW)


def test_a_cancelled_seance_cannot_start() -> None:
    with pytest.raises(InvalidTransition, match="session_cancelled"):
        start_session(cancel_session(make_session(), None, NOW))


def test_a_reason_needs_a_cancellation_and_one_line() -> None:
    with pytest.raises(InvalidInput, match="reason_without_cancel"):
        msgspec.structs.replace(make_session(), cancel_reason="Grève")
    with pytest.raises(InvalidInput) as caught:
        cancel_session(make_session(), "x" * 501, NOW)
    assert caught.value.field == "cancel_reason"
    with pytest.raises(InvalidInput, match="cancelled_but_started"):
        msgspec.structs.replace(start_session(make_session()), cancelled_at=NOW)


def test_restoring_gives_the_seance_back_while_its_date_is_ahead() -> None:
    planned = make_session(agenda=[AgendaItem("Accueil", 10)])
    cancelled = cancel_session(planned, "Grève", NOW)
    assert restore_session(cancelled, planned.date) == planned  # its own day still counts
    with pytest.raises(InvalidTransition, match="session_past"):
        restore_session(cancelled, planned.date + timedelta(days=1))
    with pytest.raises(Conflict, match="session_not_cancelled"):
        restore_session(planned, planned.date)


# --- attendance ------------------------------------------------------------------------------


def test_check_in_and_out() -> None:
    session = check_in(make_session(), person(1), NOW)
    assert session.attendance == (Attendance("p1", NOW),)
    assert session.attendance[0].present
    session = check_out(session, "p1", LATER)
    assert session.attendance == (Attendance("p1", NOW, LATER),)
    assert not session.attendance[0].present


def test_coming_back_keeps_the_first_arrival() -> None:
    session = check_out(check_in(make_session(), person(1), NOW), "p1", NOW)
    back = check_in(session, person(1), LATER)
    assert back.attendance == (Attendance("p1", NOW),)


def test_check_in_refusals() -> None:
    session = check_in(make_session(), person(1), NOW)
    with pytest.raises(Conflict, match="already_checked_in"):
        check_in(session, person(1), LATER)
    with pytest.raises(Forbidden, match="wrong_atelier"):
        check_in(session, person(2, atelier_id="atl-2"), NOW)
    with pytest.raises(Forbidden, match="participant_revoked"):
        check_in(session, revoke(person(3), NOW), NOW)
    with pytest.raises(InvalidInput, match="naive_datetime"):
        check_in(session, person(4), datetime(2017, 12, 12))


def test_check_out_refusals() -> None:
    session = check_in(make_session(), person(1), NOW)
    with pytest.raises(Conflict, match="not_checked_in"):
        check_out(session, "p2", LATER)
    with pytest.raises(InvalidInput, match="check_out_before_check_in"):
        check_out(session, "p1", NOW - timedelta(minutes=1))
    with pytest.raises(Conflict, match="already_checked_out"):
        check_out(check_out(session, "p1", LATER), "p1", LATER)


def test_one_attendance_record_per_person() -> None:
    with pytest.raises(InvalidInput, match="duplicate_attendance"):
        msgspec.structs.replace(
            make_session(), attendance=(Attendance("p1", NOW), Attendance("p1", LATER))
        )


PEOPLE = [
    person(1),
    person(2),
    person(3),
    person(4, Role.ELU),
    person(5, Role.AGENT),
    person(6, Role.AGENT),
    person(7, Role.ANIMATEUR),
    person(8, Role.OBSERVATEUR),
    person(9),  # joined, never came
]


def full_session() -> Session:
    session = make_session()
    for p in PEOPLE[:8]:
        session = check_in(session, p, NOW)
    return check_out(session, "p2", LATER)


def test_attendance_is_counted_by_role() -> None:
    summary = attendance_summary(full_session(), PEOPLE)
    assert summary.by_role == {
        Role.HABITANT: 3,
        Role.ELU: 1,
        Role.AGENT: 2,
        Role.ANIMATEUR: 1,
        Role.CONSEIL: 0,
        Role.OBSERVATEUR: 1,
    }
    assert (summary.attended, summary.present_now, summary.headcount) == (8, 7, None)
    assert summary.total_present == 8


def test_revoked_participants_still_count_where_they_came() -> None:
    people = [revoke(p, LATER) if p.id == "p1" else p for p in PEOPLE]
    assert attendance_summary(full_session(), people).by_role[Role.HABITANT] == 3


def test_the_headcount_counts_people_without_a_device() -> None:
    summary = attendance_summary(record_headcount(full_session(), 35), PEOPLE)
    assert (summary.headcount, summary.total_present) == (35, 35)


def test_a_low_headcount_never_hides_a_check_in() -> None:
    summary = attendance_summary(record_headcount(full_session(), 5), PEOPLE)
    assert summary.total_present == 8


def test_an_empty_session_has_nobody() -> None:
    summary = attendance_summary(make_session(), [])
    assert summary.total_present == 0
    assert set(summary.by_role.values()) == {0}


def test_the_headcount_is_not_negative() -> None:
    with pytest.raises(InvalidInput, match="invalid_headcount"):
        record_headcount(make_session(), -1)
    assert record_headcount(record_headcount(make_session(), 3), None).headcount is None


def test_attendance_of_an_unknown_participant_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="unknown_participant"):
        attendance_summary(full_session(), PEOPLE[:3])


def test_an_agenda_item_sets_the_writing_mode_of_the_step_of_its_rank() -> None:
    session = make_session(
        agenda=[
            AgendaItem("Accueil", 10),
            AgendaItem("Lecture", 30, Writing.AMENDEMENTS),
            AgendaItem("Écriture", None, Writing.LIBRE),
        ]
    )
    assert [writing_at(session, i) for i in (None, 0, 1, 2, 3, -1)] == [
        None,
        None,
        Writing.AMENDEMENTS,
        Writing.LIBRE,
        None,  # no agenda item of that rank
        None,
    ]
    assert Writing.AMENDEMENTS.amendments
    assert not Writing.LIBRE.amendments
    # Stored séances decode with or without the field; an unknown mode is refused.
    stored = {"title": "Lecture", "minutes": 30, "writing": "amendements"}
    assert msgspec.convert(stored, AgendaItem).writing is Writing.AMENDEMENTS
    assert msgspec.convert({"title": "Lecture"}, AgendaItem).writing is None
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**stored, "writing": "suggestions"}, AgendaItem)
