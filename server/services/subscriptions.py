"""E-mail subscriptions (issue 22, #5): subscribe with double opt-in, confirm, unsubscribe, and
the news of public events written to the mail outbox (sent by :mod:`server.mail`).

A scope names what is followed: ``atelier:<id>``, ``instance:<CODE>``, ``quartier:<key>``
(:func:`server.public.data.neighbourhood_key`), ``project:<id>``, ``subject:<id>``. An atelier's
news goes to the subscribers of the atelier, of each instance it is linked to and of its
quartier, one message per address. Only public things have news: an atelier that is not listed
has none.

For other features (subjects, projects): call :func:`notify` inside the transaction of what
happened, with the scopes it concerns; it writes one message per confirmed address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.projects import ProjectState
from domain.proposals import ProposalStatus
from domain.report import french_date, french_time
from server.db.models import (
    AtelierRow,
    MailOutboxRow,
    ProjectRow,
    ProposalRow,
    SessionRow,
    SubjectRow,
    SubscriptionRow,
    SubscriptionTokenRow,
)
from server.db.writes import transaction
from server.errors import Problem
from server.mail import digest, poke_after_commit

__all__ = [
    "CONFIRMATIONS_PER_ADDRESS_HOUR",
    "Followed",
    "atelier_scopes",
    "confirm",
    "confirmable",
    "normalise_email",
    "notify",
    "project_news",
    "proposal_step",
    "seance_event",
    "subscribe",
    "unsubscribable",
    "unsubscribe",
]

#: Confirmation messages one e-mail address may be sent within an hour, whatever it follows.
CONFIRMATIONS_PER_ADDRESS_HOUR: Final = 5
#: And one pending confirmation per address and scope within an hour.
PENDING: Final = timedelta(hours=1)

_EMAIL: Final = re.compile(r"^[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Followed:
    """What a subscription follows: its scope, how a message names it, its public page."""

    scope: str
    title_fr: str
    title_en: str
    page: str


def normalise_email(raw: str) -> str:
    """The address as stored (the domain lower-cased); 400 ``invalid_email`` otherwise."""
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise Problem(
            400,
            "invalid_email",
            "Cette adresse e-mail ne semble pas valide (exemple : prenom.nom@exemple.fr).",
            "This e-mail address does not look valid (for example: first.last@example.org).",
        )
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


# --- subscribing -----------------------------------------------------------------------------


async def subscribe(
    engine: AsyncEngine, email: str, followed: Followed, lang: Literal["fr", "en"]
) -> bool:
    """Ask for ``followed``'s news at ``email``: a confirmation message is written to the
    outbox. False when the address already follows it (nothing is sent: the page says the
    same either way, so that nobody learns who follows what). 429 when a confirmation for
    this address and scope went out less than an hour ago, or this address got too many."""
    address = normalise_email(email)
    now = _now()
    try:
        async with transaction(engine) as session:
            row = await session.scalar(
                select(SubscriptionRow)
                .where(SubscriptionRow.email == address, SubscriptionRow.scope == followed.scope)
                .with_for_update()
            )
            if row is not None and row.confirmed_at is not None:
                return False
            if row is not None and row.confirm_sent_at and now - row.confirm_sent_at < PENDING:
                raise _pending()
            recent = await session.scalar(
                select(func.count())
                .select_from(SubscriptionRow)
                .where(
                    SubscriptionRow.email == address,
                    SubscriptionRow.confirm_sent_at > now - PENDING,
                )
            )
            if (recent or 0) >= CONFIRMATIONS_PER_ADDRESS_HOUR:
                raise Problem(
                    429,
                    "too_many_confirmations",
                    "Cette adresse a reçu trop de demandes de confirmation cette heure-ci : "
                    "réessayez plus tard.",
                    "This address got too many confirmation requests this hour: try again later.",
                    headers={"retry-after": "3600"},
                )
            if row is None:
                row = SubscriptionRow(
                    email=address,
                    scope=followed.scope,
                    lang=lang,
                    title_fr=followed.title_fr[:300],
                    title_en=followed.title_en[:300],
                    page=followed.page[:500],
                    created_at=now,
                )
                session.add(row)
                await session.flush()
            row.lang = lang
            row.confirm_sent_at = now
            session.add(
                MailOutboxRow(
                    subscription_id=row.id,
                    kind="confirm",
                    subject_fr="Confirmez votre abonnement",
                    subject_en="Confirm your subscription",
                    body_fr=(
                        f"Bonjour,\n\nPour recevoir par e-mail les nouvelles de "
                        f"{followed.title_fr}, confirmez votre abonnement en ouvrant ce lien."
                    ),
                    body_en=(
                        f"Hello,\n\nTo receive the news of {followed.title_en} by e-mail, "
                        "confirm your subscription by opening this link."
                    ),
                    link=followed.page[:500],
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            poke_after_commit(session)
    except IntegrityError:  # the same address and scope, at the same moment, from elsewhere
        raise _pending() from None
    return True


def _pending() -> Problem:
    return Problem(
        429,
        "confirmation_pending",
        "Un e-mail de confirmation a déjà été envoyé à cette adresse il y a moins d’une heure : "
        "ouvrez le lien qu’il contient (pensez aux courriers indésirables).",
        "A confirmation e-mail was sent to this address less than an hour ago: open its link "
        "(check the spam folder too).",
        headers={"retry-after": "3600"},
    )


async def confirmable(engine: AsyncEngine, token: str) -> SubscriptionRow | None:
    """The subscription a confirmation link's token is for, if it still waits for it."""
    async with transaction(engine) as session:
        return await session.scalar(
            select(SubscriptionRow).where(SubscriptionRow.confirm_hash == digest(token))
        )


async def confirm(engine: AsyncEngine, token: str) -> SubscriptionRow | None:
    """Confirm the subscription of this link (the link works once); None if it is unknown."""
    async with transaction(engine) as session:
        row = await session.scalar(
            select(SubscriptionRow)
            .where(SubscriptionRow.confirm_hash == digest(token))
            .with_for_update()
        )
        if row is None:
            return None
        row.confirm_hash = None
        row.confirmed_at = _now()
        return row


async def unsubscribable(engine: AsyncEngine, token: str) -> SubscriptionRow | None:
    """The subscription an unsubscribe link's token is for, if it still exists."""
    async with transaction(engine) as session:
        return await session.scalar(
            select(SubscriptionRow)
            .join(SubscriptionTokenRow, SubscriptionTokenRow.subscription_id == SubscriptionRow.id)
            .where(SubscriptionTokenRow.hash == digest(token))
        )


async def unsubscribe(engine: AsyncEngine, token: str) -> SubscriptionRow | None:
    """Delete the subscription of this link, its address with it, its tokens and its pending
    messages; None if there is none (already unsubscribed: the same answer to the person)."""
    async with transaction(engine) as session:
        row = await session.scalar(
            select(SubscriptionRow)
            .join(SubscriptionTokenRow, SubscriptionTokenRow.subscription_id == SubscriptionRow.id)
            .where(SubscriptionTokenRow.hash == digest(token))
            .with_for_update(of=SubscriptionRow)
        )
        if row is None:
            return None
        await session.execute(delete(MailOutboxRow).where(MailOutboxRow.subscription_id == row.id))
        await session.execute(
            delete(SubscriptionTokenRow).where(SubscriptionTokenRow.subscription_id == row.id)
        )
        await session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == row.id))
        return row


# --- news ------------------------------------------------------------------------------------


async def notify(
    session: AsyncSession,
    scope_keys: Sequence[str],
    subject_fr: str,
    subject_en: str,
    body: str,
    link: str,
    *,
    body_en: str | None = None,
) -> int:
    """News for the confirmed subscribers of any of ``scope_keys``, in the caller's transaction
    (the outbox): one message per address (the first scope it follows, in ``scope_keys``'
    order, is the one its unsubscribe link ends). ``body`` is French, ``body_en`` its English
    (``body`` again when None); ``link`` a path on this site or an absolute URL. Returns how
    many messages were written."""
    if not scope_keys:
        return 0
    rows = (
        await session.execute(
            select(SubscriptionRow.id, SubscriptionRow.email, SubscriptionRow.scope).where(
                SubscriptionRow.scope.in_(list(scope_keys)),
                SubscriptionRow.confirmed_at.is_not(None),
            )
        )
    ).tuples()
    order = {scope: i for i, scope in enumerate(scope_keys)}
    chosen: dict[str, tuple[int, int]] = {}
    for sub_id, email, scope in rows:
        rank = order.get(scope, len(order))
        if email not in chosen or rank < chosen[email][0]:
            chosen[email] = (rank, sub_id)
    now = _now()
    for _, sub_id in sorted(chosen.values(), key=lambda pair: pair[1]):
        session.add(
            MailOutboxRow(
                subscription_id=sub_id,
                kind="notice",
                subject_fr=subject_fr[:300],
                subject_en=subject_en[:300],
                body_fr=body,
                body_en=body if body_en is None else body_en,
                link=link[:500],
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if chosen:
        poke_after_commit(session)
    return len(chosen)


def atelier_scopes(atelier: AtelierRow) -> list[str]:
    """The scopes whose subscribers hear of ``atelier``: itself, its instances, its quartier."""
    from server.public.data import neighbourhood_key  # it reads through services.ateliers

    scopes = [f"atelier:{atelier.id}"]
    scopes += [f"instance:{code}" for code in atelier.instances or []]
    if atelier.neighbourhood:
        scopes.append(f"quartier:{neighbourhood_key(atelier.neighbourhood)}")
    return scopes


def seance_when_fr(data: dict[str, Any]) -> str:
    """A séance's day and time, as French reads them (« mardi 4 mars 2031 à 18 h »)."""
    text = french_date(str(data.get("date")))
    if data.get("start_time"):
        text += " à " + french_time(str(data["start_time"]))
    return text


def seance_when_en(data: dict[str, Any]) -> str:
    """A séance's day and time, in English (“Tuesday 4 March 2031, 18:00”)."""
    try:
        day = date.fromisoformat(str(data.get("date")))
        text = day.strftime("%A %d %B %Y").replace(" 0", " ")
    except ValueError:
        text = str(data.get("date"))
    if data.get("start_time"):
        text += ", " + time.fromisoformat(str(data["start_time"])).strftime("%H:%M")
    return text


def _place(data: dict[str, Any], lang: str) -> str:
    if data.get("place"):
        return str(data["place"])
    return "à distance" if lang == "fr" else "remote"


#: What in a séance makes a change news for subscribers (a new agenda item is not).
_MOVES: Final = ("date", "start_time", "end_time", "place", "mode")


async def seance_event(
    session: AsyncSession,
    seance: SessionRow,
    what: Literal["scheduled", "moved", "cancelled", "restored"],
    before: dict[str, Any] | None = None,
) -> int:
    """A séance of a public atelier scheduled, moved (its date, time, place or mode changed:
    ``before`` is its data before), cancelled (with the reason the facilitators gave, if any)
    or restored after a cancellation: news for the atelier's subscribers."""
    if (
        what == "moved"
        and before is not None
        and all(before.get(k) == seance.data.get(k) for k in _MOVES)
    ):
        return 0
    atelier = await session.get(AtelierRow, seance.atelier_id)
    if atelier is None or not atelier.listed:
        return 0
    data = seance.data
    when_fr, when_en = seance_when_fr(data), seance_when_en(data)
    where_fr, where_en = _place(data, "fr"), _place(data, "en")
    n = seance.number
    if what == "scheduled":
        subject_fr = f"{atelier.title} : séance {n} le {when_fr}"
        subject_en = f"{atelier.title}: séance {n} on {when_en}"
        body_fr = f"Une séance de l’atelier « {atelier.title} » est prévue le {when_fr}"
        body_en = f"A séance of the “{atelier.title}” atelier is planned on {when_en}"
    elif what == "moved":
        subject_fr = f"{atelier.title} : la séance {n} change, désormais le {when_fr}"
        subject_en = f"{atelier.title}: séance {n} changed, now on {when_en}"
        body_fr = (
            f"La séance {n} de l’atelier « {atelier.title} » a changé : elle a lieu le {when_fr}"
        )
        body_en = f"Séance {n} of the “{atelier.title}” atelier changed: it is now on {when_en}"
    elif what == "restored":
        subject_fr = f"{atelier.title} : la séance {n} du {when_fr} est maintenue"
        subject_en = f"{atelier.title}: séance {n} on {when_en} takes place after all"
        body_fr = (
            f"La séance {n} de l’atelier « {atelier.title} », annoncée comme annulée, a bien "
            f"lieu le {when_fr}"
        )
        body_en = (
            f"Séance {n} of the “{atelier.title}” atelier, announced as cancelled, takes place "
            f"after all on {when_en}"
        )
    else:
        subject_fr = f"{atelier.title} : la séance {n} du {when_fr} est annulée"
        subject_en = f"{atelier.title}: séance {n} on {when_en} is cancelled"
        body_fr = f"La séance {n} de l’atelier « {atelier.title} » prévue le {when_fr} est annulée"
        body_en = f"Séance {n} of the “{atelier.title}” atelier on {when_en} is cancelled"
    body_fr += f" ({where_fr})." if what != "cancelled" else "."
    body_en += f" ({where_en})." if what != "cancelled" else "."
    if what == "cancelled" and data.get("cancel_reason"):
        body_fr += f"\n\nMotif : {data['cancel_reason']}"
        body_en += f"\n\nReason: {data['cancel_reason']}"
    if what != "cancelled":
        body_fr += (
            "\n\nVenez : aucun compte n’est nécessaire, le code pour rejoindre est donné sur place."
        )
        body_en += "\n\nCome along: no account needed, the code to join is given there."
    return await notify(
        session,
        atelier_scopes(atelier),
        subject_fr,
        subject_en,
        body_fr,
        f"/decouvrir/ateliers/{atelier.id}",
        body_en=body_en,
    )


def _outcome(value: str) -> tuple[str, str]:
    try:
        status = ProposalStatus(value)
    except ValueError:
        return value, value
    return status.label_fr, status.label_en


async def proposal_step(session: AsyncSession, proposal: ProposalRow, step: str) -> int:
    """A proposal of a public atelier transmitted to the council, or decided (with the
    council's answer): news for the atelier's subscribers. Other steps are not news."""
    if step not in ("transmit", "decide"):
        return 0
    atelier = await session.get(AtelierRow, proposal.atelier_id)
    if atelier is None or not atelier.listed:
        return 0
    title = proposal.title
    if step == "transmit":
        subject_fr = f"« {title} » transmise au conseil municipal"
        subject_en = f"“{title}” handed to the city council"
        body_fr = (
            f"La proposition « {title} » de l’atelier « {atelier.title} » est transmise au "
            "conseil municipal. Sa décision et sa réponse paraîtront sur la page de l’atelier."
        )
        body_en = (
            f"The proposal “{title}” of the “{atelier.title}” atelier was handed to the city "
            "council. Its decision and answer will appear on the atelier's page."
        )
    else:
        decision = proposal.decision or {}
        outcome = str(decision.get("outcome") or "")
        fr, en = _outcome(outcome)
        subject_fr = f"« {title} » : décision du conseil municipal ({fr})"
        subject_en = f"“{title}”: the city council's decision ({en})"
        body_fr = (
            f"Le conseil municipal a décidé de la proposition « {title} » de l’atelier "
            f"« {atelier.title} » : {fr}."
        )
        body_en = (
            f"The city council decided on the proposal “{title}” of the “{atelier.title}” "
            f"atelier: {en}."
        )
        if decision.get("answer"):
            body_fr += f"\n\nSa réponse :\n{decision['answer']}"
            body_en += f"\n\nIts answer (in French):\n{decision['answer']}"
    return await notify(
        session,
        atelier_scopes(atelier),
        subject_fr,
        subject_en,
        body_fr,
        f"/decouvrir/ateliers/{atelier.id}#proposals-title",
        body_en=body_en,
    )


def _state(value: str) -> tuple[str, str]:
    try:
        state = ProjectState(value)
    except ValueError:
        return value, value
    return state.label_fr, state.label_en


async def project_news(
    session: AsyncSession,
    project: ProjectRow,
    kind: str,
    note: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """A project of a public atelier changed state, or one of its milestones was done: news for
    the project's subscribers and its atelier's (``server.services.projects._history``)."""
    if kind not in ("state", "milestone_done"):
        return 0
    atelier = await session.get(AtelierRow, project.atelier_id)
    if atelier is None or not atelier.listed:
        return 0
    title = project.title
    if kind == "state":
        fr, en = _state(project.state)
        subject_fr = f"Projet « {title} » : {fr}"
        subject_en = f"Project “{title}”: {en}"
        body_fr = f"Le projet « {title} » (atelier « {atelier.title} ») est désormais : {fr}."
        body_en = f"The project “{title}” (the “{atelier.title}” atelier) is now: {en}."
    else:
        milestone = (details or {}).get("milestone") or {}
        label = str(milestone.get("label") or "")
        subject_fr = f"Projet « {title} » : jalon réalisé"
        subject_en = f"Project “{title}”: milestone done"
        body_fr = f"Le projet « {title} » a franchi un jalon : {label}."
        body_en = f"The project “{title}” reached a milestone: {label}."
    if note:
        body_fr += f"\n\n{note}"
        body_en += f"\n\n{note}"
    return await notify(
        session,
        [f"project:{project.id}", *atelier_scopes(atelier)],
        subject_fr,
        subject_en,
        body_fr,
        f"/decouvrir/projets/{project.id}",
        body_en=body_en,
    )


#: What a subject's step tells its followers: (subject, text) in French, then in English.
_SUBJECT_NEWS: Final = {
    "publish": (
        "Nouveau sujet proposé : « {t} »",
        "Un sujet est proposé{where} : « {t} ». Soutenez-le sur sa page si vous le partagez : "
        "au seuil de soutiens fixé par la Ville, il peut devenir un atelier.",
        "New subject proposed: “{t}”",
        "A subject is proposed{where_en}: “{t}”. Support it on its page if you share it: at the "
        "number of supports the city set, it may become an atelier.",
    ),
    "constitute_aic": (
        "« {t} » devient un atelier d’initiative citoyenne",
        "Le sujet « {t} » devient un atelier d’initiative citoyenne en constitution : venez à "
        "ses séances pour le constituer.",
        "“{t}” becomes a citizens’ initiative atelier",
        "The subject “{t}” becomes a citizens’ initiative atelier being formed: come to its "
        "séances to constitute it.",
    ),
    "open_ap": (
        "La Ville ouvre un atelier de projet sur « {t} »",
        "La Ville ouvre un atelier de projet sur le sujet « {t} ».",
        "The city opens a project atelier on “{t}”",
        "The city opens a project atelier on the subject “{t}”.",
    ),
    "decline": (
        "La Ville décline « {t} »",
        "La Ville décline le sujet « {t} ». Sa raison :\n{reason}",
        "The city declines “{t}”",
        "The city declines the subject “{t}”. Its reason (in French):\n{reason}",
    ),
}


async def subject_news(session: AsyncSession, subject: SubjectRow, outcome: str) -> int:
    """A subject published (news for its quartier's and its instance's subscribers) or answered
    by the city — an AIC, an AP, declined — (news for the subject's own followers too). Refusals
    in moderation are not public, so not news."""
    news = _SUBJECT_NEWS.get(outcome)
    if news is None:
        return 0
    from server.public.data import neighbourhood_key  # it reads through services.ateliers

    scopes = [] if outcome == "publish" else [f"subject:{subject.id}"]
    if subject.neighbourhood:
        scopes.append(f"quartier:{neighbourhood_key(subject.neighbourhood)}")
    if subject.instance:
        scopes.append(f"instance:{subject.instance}")
    subject_fr, body_fr, subject_en, body_en = news
    facts = {
        "t": subject.title,
        "reason": subject.reason or "",
        "where": f" dans le quartier {subject.neighbourhood}" if subject.neighbourhood else "",
        "where_en": f" in the {subject.neighbourhood} neighbourhood"
        if subject.neighbourhood
        else "",
    }
    return await notify(
        session,
        scopes,
        subject_fr.format(**facts),
        subject_en.format(**facts),
        body_fr.format(**facts),
        f"/decouvrir/sujets/{subject.id}",
        body_en=body_en.format(**facts),
    )
