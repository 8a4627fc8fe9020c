"""``atelier demo``: the seed's own workshop loaded as data, idempotently.

Everything carries the stable ids of ``domain.demo``: running it twice finds what the first run
wrote and adds nothing (a document's initial text in particular is written only into an empty
document, so it can never be doubled).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import msgspec
from sqlalchemy import select

from collab.render import initial_update
from domain.demo import demo
from domain.roles import Role
from domain.sessions import Session
from server.auth import mint_participant_token
from server.db.doc_store import SqlDocumentStore
from server.db.mapping import atelier_to_row
from server.db.models import CharterVersionRow, ParticipantRow, ProposalRow, SessionRow
from server.services.ateliers import agenda_as_stored, generate_join_code, now, transaction
from server.settings import Settings
from server.state import create_engine

__all__ = ["DemoLoaded", "load_demo"]

FACILITATOR_ID = "demo-animation"
FACILITATOR_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class DemoLoaded:
    atelier_id: str
    atelier_title: str
    join_code: str
    facilitator_token: str
    created: bool


def session_data(session: Session) -> dict[str, object]:
    data = msgspec.to_builtins(session)
    for key in ("id", "atelier_id", "number", "attendance"):
        data.pop(key, None)
    data["agenda"] = agenda_as_stored(data.get("agenda"))
    return data  # type: ignore[no-any-return]


async def load_demo(settings: Settings) -> DemoLoaded:
    seed = demo()
    engine = create_engine(settings.database_url)
    store = SqlDocumentStore(engine)
    created = False
    try:
        async with transaction(engine) as session:
            from server.db.models import AtelierRow

            if await session.get(AtelierRow, seed.atelier.id) is None:
                created = True
                row = atelier_to_row(seed.atelier)
                row.created_at = row.updated_at = now()
                session.add(row)
                await session.flush()
                session.add(
                    CharterVersionRow(
                        atelier_id=row.id,
                        version=seed.atelier.charter.version,
                        text=seed.atelier.charter.text,
                        created_at=now(),
                    )
                )
            for seance in seed.sessions:
                if await session.get(SessionRow, seance.id) is None:
                    session.add(
                        SessionRow(
                            id=seance.id,
                            atelier_id=seance.atelier_id,
                            number=seance.number,
                            join_code=generate_join_code(secrets.SystemRandom()),
                            data=session_data(seance),
                            created_at=now(),
                            updated_at=now(),
                        )
                    )
            if await session.get(ParticipantRow, FACILITATOR_ID) is None:
                session.add(
                    ParticipantRow(
                        id=FACILITATOR_ID,
                        atelier_id=seed.atelier.id,
                        display_name="Animation",
                        role=Role.ANIMATEUR.value,
                        charter_version=seed.atelier.charter.version,
                        show_name_in_minutes=True,
                        joined_at=now(),
                    )
                )
            await session.flush()
            for document in seed.documents:
                if await session.get(ProposalRow, document.id) is None:
                    session.add(
                        ProposalRow(
                            id=document.id,
                            atelier_id=document.atelier_id,
                            session_id=document.session_id,
                            kind=document.kind,
                            title=document.title,
                            doc_id=f"prop-{document.id}",
                            created_at=now(),
                        )
                    )
            first = (
                (
                    await session.execute(
                        select(SessionRow)
                        .where(SessionRow.atelier_id == seed.atelier.id)
                        .order_by(SessionRow.number)
                    )
                )
                .scalars()
                .first()
            )
            assert first is not None
            join_code = first.join_code
        for document in seed.documents:
            doc_id = f"prop-{document.id}"
            if not await store.load(doc_id):
                texts = {s.key: s.text for s in document.sections}
                await store.append(doc_id, [initial_update(texts)])
    finally:
        await store.close()
        await engine.dispose()
    token = mint_participant_token(
        settings.signing_key,
        seed.atelier.id,
        FACILITATOR_ID,
        Role.ANIMATEUR.value,
        FACILITATOR_TTL,
    )
    return DemoLoaded(seed.atelier.id, seed.atelier.title, join_code, token, created)
