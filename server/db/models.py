"""Database tables: live documents and their update log; ateliers, séances, participants."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "DB_INT_MAX",
    "ActivityRow",
    "AmendmentRow",
    "AtelierImageRow",
    "AtelierRow",
    "AttendanceRow",
    "AuditRow",
    "BallotRow",
    "Base",
    "CharterVersionRow",
    "CommentRow",
    "ContributionRow",
    "Document",
    "DocumentUpdate",
    "FrozenImageRow",
    "HandoffEventRow",
    "InvitationRow",
    "MailOutboxRow",
    "ParticipantRow",
    "PollRow",
    "PollVoterRow",
    "ProjectEventRow",
    "ProjectMilestoneRow",
    "ProjectRow",
    "ProposalEventRow",
    "ProposalRow",
    "ProposalVersionRow",
    "SearchEntryRow",
    "SessionRow",
    "SubjectEventRow",
    "SubjectRankingRow",
    "SubjectRow",
    "SubjectSupportRow",
    "SubscriptionRow",
    "SubscriptionTokenRow",
    "UtcDateTime",
    "VersionImageRow",
    "VersionNameRow",
    "WebhookDeliveryRow",
    "in_models",
]

# One naming convention, so that migrations name constraints the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The largest integer an ``Integer`` column holds on every engine (PostgreSQL's ``integer``;
#: SQLite's goes to 2**63 - 1). A larger one sent in a query raised OverflowError (SQLite) or a
#: DataError (PostgreSQL): numbers from outside are bounded by it at the edge (``server.schemas``).
DB_INT_MAX = 2**31 - 1

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def _now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC, read back aware on every engine. PostgreSQL's ``timestamptz``
    gives an aware datetime; SQLite stores no offset and gave a naive one, which the API then
    wrote without one (not an RFC 3339 ``date-time``) and which cannot be compared with an
    aware one."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Document(Base):
    """A live document. ``snapshot`` is the squash of every compacted update
    (:func:`collab.store.squash`: the document's encoding plus anything pending)."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    snapshot: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    #: Rows and bytes in the log since the last compaction (kept in step by the store).
    log_rows: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    log_bytes: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class DocumentUpdate(Base):
    """One durable append: the raw updates of a batch, merged."""

    __tablename__ = "document_updates"
    __table_args__ = (Index("ix_document_updates_document_id_id", "document_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class DocumentHistoryRow(Base):
    """A log row compaction folded into the snapshot, kept for the history slider (moved here
    by the compaction's own transaction, with its time; a snapshot from before history was
    kept is moved here too, as the first row)."""

    __tablename__ = "document_history"
    __table_args__ = (Index("ix_document_history_document_id_id", "document_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class DocumentAuthorRow(Base):
    """Which participant wrote with which Yjs client id in a document: written once, at a
    connection's first update (``server.contributions``); the history names authors by it."""

    __tablename__ = "document_authors"

    document_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    client_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    participant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("participants.id", ondelete="CASCADE"), nullable=False, index=True
    )


# --- ateliers, séances and the people in them (issue 3) --------------------------------------


class AtelierRow(Base):
    __tablename__ = "ateliers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    neighbourhood: Mapped[str | None] = mapped_column(String(200), nullable=True)
    instances: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    pilots: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    image: Mapped[str | None] = mapped_column(String(500), nullable=True)
    charter_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    charter_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    min_residents: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    #: Shown in directories and feeds, and may carry an image. An atelier d'initiative
    #: citoyenne started by residents is not, until the city's staff approve it
    #: (``approved_by``) or it is constituted (README « Qui peut créer quoi »).
    listed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: An atelier de projet's budget line or financing note.
    financing: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: An atelier de projet's pilot service (« Direction de territoire Neudorf »); the city's.
    pilot_service: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: An atelier d'initiative citoyenne's porteurs: the display names of the residents who
    #: carry it (from its subject's initiators who chose to show their name).
    porteurs: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class SessionRow(Base):
    """A séance."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("atelier_id", "number"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    join_code: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class ParticipantRow(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    display_name: Mapped[str] = mapped_column(String(80), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    charter_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    show_name_in_minutes: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: Set when the person's name was erased (``display_name`` is then a pseudonym).
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: The last day their token was used (updated at most once a day): with ``joined_at`` and
    #: their check-ins, what retention measures inactivity from.
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InvitationRow(Base):
    __tablename__ = "invitations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    used_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AttendanceRow(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
    )
    participant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("participants.id", ondelete="CASCADE"), nullable=False
    )
    checked_in_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    checked_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ProposalRow(Base):
    """A co-written document owned by an atelier: a fiche-action, or a séance's synthesis."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    session_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    #: The live document's id on /ws/docs (unique: a document belongs to one proposal).
    doc_id: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    #: brouillon, figee, transmise, en_instruction, adoptee, ajournee, rejetee
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="brouillon")
    #: Locked by a freeze, or by the facilitator: the live document is read-only until unlocked
    #: (a new draft unlocks it too).
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: Who locked it: ``freeze`` (a freeze with ``lock``) or ``animation`` (the facilitator's
    #: switch, ``POST /api/proposals/{id}/lock``); None while unlocked.
    locked_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: Set while archived: read-only for everyone, no vote option, never handed to the council.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: The council's decision: outcome, official answer, délibération reference and date…
    decision: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)
    #: « Amendements » mode (issue 20, #4): participants who do not facilitate read the live
    #: text and propose amendments (``AmendmentRow``) instead of writing; False: « écriture
    #: libre ».
    amendment_mode: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )


class ActivityRow(Base):
    """One entry of the activity feeds (per atelier, and per linked instance)."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    summary_fr: Mapped[str] = mapped_column(Text, nullable=False)
    summary_en: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now, index=True)


class CharterVersionRow(Base):
    """Every version of an atelier's charter, kept: an acceptance names the version it accepted."""

    __tablename__ = "charter_versions"

    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class AtelierImageRow(Base):
    """The atelier's logo or picture (PNG or JPEG), shown on its page and its invitations."""

    __tablename__ = "atelier_images"

    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class PollRow(Base):
    """A priority vote of a séance. ``seq`` counts ballot changes: every node that follows the
    poll applies them in this order, and the increment (under the row's lock) is what makes a
    ballot and the close exclude each other."""

    __tablename__ = "polls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    options: Mapped[list[dict[str, object]]] = mapped_column(JSON, nullable=False)
    params: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    voter_roles: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    secret: Mapped[bool] = mapped_column(Boolean, nullable=False)
    hide_results: Mapped[bool] = mapped_column(Boolean, nullable=False)
    quorum: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    runoff_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    final: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PollVoterRow(Base):
    """Who has voted in a poll: the primary key makes a second ballot impossible, even when two
    requests race. Nothing here says *what* they voted (no timestamp either, which could be
    matched against a ballot's)."""

    __tablename__ = "poll_voters"
    # SQLite: stored in key order, not in insertion order (which ballots' order could match).
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The facilitator entered this person's ballot (paper, procuration): their own vote is
    #: refused saying so. Which ballot it was, no row says (``BallotRow.origin``).
    entered: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )


class BallotRow(Base):
    """A ballot's content. On a secret poll it names nobody: the voter changes it by presenting
    the receipt only their device holds (stored here as a SHA-256 hash); its id is random, so
    neither key nor order ties it to ``poll_voters``. On a public poll ``participant_id`` is
    set (and unique per poll)."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("poll_id", "participant_id"),
        {"sqlite_with_rowid": False},  # stored in (random) key order, not insertion order
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    poll_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("polls.id", ondelete="CASCADE"), nullable=False, index=True
    )
    receipt_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    participant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    #: direct, papier or procuration on a public poll; ``secret`` on every ballot of a secret
    #: poll, where "procuration" would single out the ballot of the person it was entered for.
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    form: Mapped[list[int]] = mapped_column(JSON, nullable=False)  # its counting form
    texts: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)  # proposal -> state


class CredentialRow(Base):
    """A credential the operator issued (``atelier facilitator-invite``, ``atelier
    council-token``): its token names this row (``jti``), so revoking the row refuses the token
    at once, without rotating the key."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # staff, council
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AuditRow(Base):
    """Sensitive actions, with who did them: ballots entered for others, and more to come.
    Never a secret ballot's content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    actor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str] = mapped_column(String(255), nullable=False)
    details: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class ProposalVersionRow(Base):
    """A frozen version. Never updated, never deleted: no code path does, and triggers on both
    SQLite and PostgreSQL refuse it. ``hash`` chains it to the version before."""

    __tablename__ = "proposal_versions"

    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="RESTRICT"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)  # as hashed
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    content: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    state: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # the exact Yjs state
    #: 1: names in the hashed content; 2: names as salted commitments, the names themselves
    #: in ``version_names`` (``domain.proposals.VERSION_FORMAT``).
    format: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")


class VersionNameRow(Base):
    """A name a format-2 version commits to, beside it and outside its hash: the commitment
    (as hashed), the name and its salt (which open it), and whose name it is. Erasing a
    person empties ``name``, ``salt`` and ``participant_id``; the commitment stays, and the
    version still verifies."""

    __tablename__ = "version_names"

    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    salt: Mapped[str | None] = mapped_column(String(64), nullable=True)


class FrozenImageRow(Base):
    """An image of an atelier as a version was frozen with it, by its SHA-256. Written once and
    never changed: the atelier's current image (``atelier_images``) may change or go, a
    version's printed copy keeps this one. Ateliers rarely change their image, so the versions
    of one atelier share a few rows."""

    __tablename__ = "frozen_images"

    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class VersionImageRow(Base):
    """Which image (``frozen_images``) the atelier had when this version was frozen; no row:
    it had none, or the version was frozen before images were kept (its PDF has none). Beside
    the version and outside its hash, as ``version_names``."""

    __tablename__ = "version_images"
    __table_args__ = (
        ForeignKeyConstraint(
            ["atelier_id", "sha256"],
            ["frozen_images.atelier_id", "frozen_images.sha256"],
            ondelete="CASCADE",
        ),
    )

    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    atelier_id: Mapped[str] = mapped_column(String(64), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class ProposalEventRow(Base):
    """Each step of a proposal's way to the council and back, with who and when."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)  # a name, or the city
    #: The participant behind ``actor`` (None: the council service, or before erasure existed).
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_role: Mapped[str] = mapped_column(String(32), nullable=False)
    details: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now, index=True)


class HandoffEventRow(Base):
    """Something the city's back office wants to know: a proposal handed over, taken under
    review, decided, followed up. Written in the same transaction as the step itself (an
    outbox): an event exists if and only if the step happened."""

    __tablename__ = "handoff_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    proposal_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    atelier_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class WebhookDeliveryRow(Base):
    """One event to one URL: retried with backoff until a 2xx or the last attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "url"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("handoff_events.id", ondelete="CASCADE"), nullable=False
    )
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ContributionRow(Base):
    """Who wrote in which section of a proposal (across its drafts): recorded the first time
    a participant's edit changes that section."""

    __tablename__ = "contributions"

    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    section: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class CommentRow(Base):
    """A comment on a proposal (issue 20, #3): a thread's first comment (``thread_id`` None),
    anchored to a passage of one section, or a reply in that thread. The anchor is two Yjs
    relative positions as the client encoded them (None: the whole section); ``quote`` is the
    passage as it was, shown once the passage is deleted. ``author_name`` is the name the
    person chose, erased with their other names (``server.services.people.erase``). A thread's
    first comment deleted while it has replies keeps its row, without its text
    (``deleted_at``), so that the replies stay in their thread."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_proposal_id_created_at", "proposal_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False
    )
    #: The thread's first comment; None for that first comment itself. No foreign key: rows
    #: are exported and imported in key order, where a reply may come before its thread.
    thread_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    section: Mapped[str] = mapped_column(String(64), nullable=False)
    participant_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    author_name: Mapped[str] = mapped_column(String(80), nullable=False)
    author_role: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    anchor_start: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    anchor_end: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    quote: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: The participant who resolved the thread (their name is read from their row).
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


# --- subjects: the way in (issue 22, #2) -----------------------------------------------------


class SubjectRow(Base):
    """A subject proposed by a resident or an instance (``domain.subjects``). The initiator
    gives a display name and a quartier, and chooses whether the name is shown; no e-mail is
    asked (the city answers on the subject's public page)."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    why: Mapped[str] = mapped_column(Text, nullable=False)
    #: None: the whole city.
    neighbourhood: Mapped[str | None] = mapped_column(String(200), nullable=True)
    initiator_name: Mapped[str] = mapped_column(String(80), nullable=False)
    initiator_neighbourhood: Mapped[str | None] = mapped_column(String(200), nullable=True)
    show_name: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: The instance (CQ…) that proposed it, through a member of the city's staff.
    instance: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    #: The public reason of a refusal or a decline.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The atelier it became (an AIC en constitution, or the AP the city opened).
    atelier_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    supports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class SubjectSupportRow(Base):
    """One resident's support: a keyed hash of their folded name and quartier, and of their
    browser's cookie — never the name itself."""

    __tablename__ = "subject_supports"
    __table_args__ = (
        Index("ix_subject_supports_identity", "subject_id", "identity_hash", unique=True),
        Index("ix_subject_supports_cookie", "subject_id", "cookie_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
    )
    identity_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    cookie_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class SubjectEventRow(Base):
    """A subject's history and audit trail: who (staff name, or ``public``), when, what and
    why. The public feeds show the summaries, never ``actor``."""

    __tablename__ = "subject_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary_fr: Mapped[str] = mapped_column(Text, nullable=False)
    summary_en: Mapped[str] = mapped_column(Text, nullable=False)
    #: Shown in the public feeds (a published subject's steps), or audit only.
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now)


class SubjectRankingRow(Base):
    """An instance's ordering of the subjects of its territory (« priorisation des sujets »)."""

    __tablename__ = "subject_rankings"

    instance: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class SubscriptionRow(Base):
    """An e-mail address that asked for news of one public thing (issue 22, #5): ``scope`` is
    ``atelier:<id>``, ``instance:<code>``, ``quartier:<key>``, ``project:<id>``… Addresses are
    stored for this alone and deleted on unsubscribe. Only a confirmed row (``confirmed_at``)
    gets news; ``confirm_hash`` is the SHA-256 of the last confirmation link's random token."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("email", "scope"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    scope: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    lang: Mapped[str] = mapped_column(String(2), nullable=False)
    #: What it follows, as a message says it (« l’atelier « Vélo » », « the “Vélo” atelier »),
    #: and that thing's public page (a path on this site).
    title_fr: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str] = mapped_column(String(300), nullable=False)
    page: Mapped[str] = mapped_column(String(500), nullable=False)
    confirm_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class SubscriptionTokenRow(Base):
    """An unsubscribe link's token (SHA-256 of its random value), one per message sent."""

    __tablename__ = "subscription_tokens"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class MailOutboxRow(Base):
    """A message owed to a subscriber, written in the same transaction as what it tells; sent
    by :class:`server.mail.MailDispatcher`, deleted once the SMTP server took it. Its address
    and tokens are read at sending time: an address unsubscribed meanwhile gets nothing."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: ``confirm`` (the double opt-in link) or ``notice`` (news of the scope).
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_fr: Mapped[str] = mapped_column(String(300), nullable=False)
    subject_en: Mapped[str] = mapped_column(String(300), nullable=False)
    body_fr: Mapped[str] = mapped_column(Text, nullable=False)
    body_en: Mapped[str] = mapped_column(Text, nullable=False)
    #: A path on this site (made absolute with ``ATELIER_PUBLIC_URL``) or an absolute URL.
    link: Mapped[str] = mapped_column(String(500), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


# --- amendments (issue 20, #4) -----------------------------------------------------------------


class AmendmentRow(Base):
    """An amendment: a participant's replacement for a passage of one paragraph of a
    proposal, anchored like a comment (two Yjs relative positions, the quoted passage), and its
    fate (``domain.amendments.Fate``): who decided it and when (``decided_by``: a participant
    id, their name read from their row), the vote it was put to (``poll_id``) and the result
    summary, how the text was changed when accepted (``applied``)."""

    __tablename__ = "amendments"
    __table_args__ = (Index("ix_amendments_proposal_id_created_at", "proposal_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False
    )
    section: Mapped[str] = mapped_column(String(64), nullable=False)
    participant_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    author_role: Mapped[str] = mapped_column(String(32), nullable=False)
    anchor_start: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    anchor_end: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    quote: Mapped[str] = mapped_column(String(500), nullable=False)
    replacement: Mapped[str] = mapped_column(Text, nullable=False)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The vote it was put to (no foreign key: an atelier's archive keeps both in key order).
    poll_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: A vote's summary (method, winner, counts, tie), or a rejection's reason.
    result: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    #: How the accepted text went in: replaced, inserted, appended, nothing.
    applied: Mapped[str | None] = mapped_column(String(16), nullable=True)


# --- projects: what a favourable decision becomes (issue 22, #3) -----------------------------


class ProjectRow(Base):
    """A project, born when the council adopts a proposal (one per proposal): its state
    (``domain.projects.ProjectState``), the service in charge, its budget line, its quartier
    (None: the whole city). ``ap_atelier_id``: the atelier de projet the city opened for it (an
    AIC's proposal taken up by the city); no foreign key, as ``comments.thread_id``: an
    atelier's archive holds its projects without the other atelier."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    proposal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    atelier_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ateliers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    budget_line: Mapped[str | None] = mapped_column(String(200), nullable=True)
    service: Mapped[str | None] = mapped_column(String(200), nullable=True)
    neighbourhood: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ap_atelier_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class ProjectMilestoneRow(Base):
    """A milestone of a project: planned for a day, done on a day (or not yet), with a note.
    The one place milestones live: a decision's « suivi » steps are done milestones here."""

    __tablename__ = "project_milestones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    atelier_id: Mapped[str] = mapped_column(String(64), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    planned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class ProjectEventRow(Base):
    """The project's history: each change, when, by which service (never a person's name),
    the state after it and the note given."""

    __tablename__ = "project_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    atelier_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    by: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class SearchEntryRow(Base):
    """One public thing in the search index (issue 22, #4): a listed atelier, a published
    proposal, a published subject, a project. Derived data, rebuilt by ``atelier search
    reindex`` (``server.search_index``); never exported. Beside it, created by migration 0019
    and outside these models (see :func:`in_models`): on PostgreSQL its ``document`` column
    (``tsvector``, configuration ``atelier_fr``) with a GIN index; on SQLite the FTS5 table
    ``search_fts`` whose rowid is ``id``."""

    __tablename__ = "search_entries"
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_search_entries_kind_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: atelier, proposal, subject, project
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The thing's own id.
    ref: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The atelier it belongs to (itself for an atelier), if any: reindexed with it.
    atelier_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    atelier_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Words found but not shown: quartier, instances, kind, state.
    tags: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The neighbourhood as shown, or None for the whole city.
    quartier: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The neighbourhood folded (``server.public.data.neighbourhood_key``), or ``ville``.
    quartier_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    #: The public page that shows it.
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, default=_now)


def in_models(name: str | None, type_: str, parent_names: object) -> bool:
    """False for what migration 0019 creates beside :class:`SearchEntryRow` and no model
    describes, one engine's own: SQLite's FTS5 table ``search_fts`` (and the tables FTS5 keeps
    behind it), PostgreSQL's ``document`` column and its index. Alembic's comparisons
    (``include_name``) skip them."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith("search_fts")
    if (
        type_ in ("column", "index")
        and isinstance(parent_names, dict)
        and parent_names.get("table_name") == "search_entries"
    ):
        return name not in ("document", "ix_search_entries_document")
    return True
