"""The tables, as typed SQLAlchemy 2 models. Models know nothing of the web."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment, aware: SQLite gives back naive datetimes, written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    """A person of the office who logs in to TeamInbox as themselves."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    # "en", "fr", or None to follow the browser.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the password changes or the account is disabled, so that
    # every existing session of that user stops being valid.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Put under each reply and forward this person writes; "" for none.
    signature: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def name(self) -> str:
        return self.display_name or self.username


class GrantRow(Base):
    """Rights on a folder pattern, for one user or for a role (one of the two)."""

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "pattern", name="uq_grants_subject_pattern"),
        CheckConstraint("(user_id IS NULL) <> (role IS NULL)", name="ck_grants_one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    pattern: Mapped[str] = mapped_column(String(512))
    # Canonical rights text, "lrsw" or "lrswitekxa assign"; "" denies.
    rights: Mapped[str] = mapped_column(String(40), default="")


class AuditRow(Base):
    """One thing someone did, kept for the activity log."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Kept as text too, so the log still names people who were deleted.
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)
    # The folder the action was about, if any: the log is filtered by rights.
    folder: Mapped[str | None] = mapped_column(String(512), default=None)
    uid: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    # The message's Message-ID ("" if none or unknown): its history follows
    # it through moves, which change its folder and UID.
    message_id: Mapped[str] = mapped_column(String(998), default="", server_default="", index=True)
    # Where a move or delete sent the message: the log hides it from people
    # who may not see that folder.
    to_folder: Mapped[str | None] = mapped_column(String(512), default=None)


class FolderState(Base):
    """What the cache knows of one folder: the server's numbers at the last sync."""

    __tablename__ = "folder_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uidnext: Mapped[int] = mapped_column(BigInteger)
    # None when the server offers no CONDSTORE (RFC 7162).
    highestmodseq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WatchState(Base):
    """Whether the header cache follows the mailbox live: the watching process
    sets `caught_up_at` once a catch-up after (re)connecting is done and
    beats `heartbeat_at` while it stays connected; pages are served from the
    cache only then (store/watch.py)."""

    __tablename__ = "watch_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(600), unique=True)  # ImapSettings.mailbox_key
    caught_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class CachedMessage(Base):
    """One message's headers and flags, as last seen on the server.

    A cache, not the truth: it can be dropped and rebuilt from IMAP at any time.
    """

    __tablename__ = "message_cache"
    __table_args__ = (UniqueConstraint("folder_id", "uid", name="uq_message_cache_folder_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folder_state.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(998), default="", index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    sender_name: Mapped[str] = mapped_column(Text, default="")
    sender_email: Mapped[str] = mapped_column(Text, default="")
    # "Name <email>" entries joined by newlines.
    recipients: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Space-separated IMAP flags.
    flags: Mapped[str] = mapped_column(Text, default="")
    # The Message-ID this one answers: a reply sent from another mail client
    # joins the history of the message it answers.
    in_reply_to: Mapped[str] = mapped_column(String(998), default="", server_default="")
    # The MODSEQ (RFC 7162) of `flags`, None when unknown (a first sync, a
    # server without CONDSTORE): a sync replaces only older flags (cache.set_flags).
    modseq: Mapped[int | None] = mapped_column(BigInteger, default=None)


class StoredEvent(Base):
    """An event kept for a while, so that a reconnecting browser can replay
    what it missed (SSE Last-Event-ID); `id` is the SSE event id."""

    __tablename__ = "events"

    __table_args__ = (Index("ix_events_folder_uid", "folder", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    folder: Mapped[str] = mapped_column(String(512))
    uid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The whole event as JSON (Event.to_json), without its id.
    payload: Mapped[str] = mapped_column(Text)


class Deletion(Base):
    """A message someone moved to the Trash: where it came from, so that it
    can go back there for as long as it stays in the Trash."""

    __tablename__ = "deletions"
    __table_args__ = (UniqueConstraint("trash", "trash_uid", name="uq_deletions_trash_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_name: Mapped[str] = mapped_column(String(64))
    trash: Mapped[str] = mapped_column(String(512))
    trash_uid: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(512))
    message_id: Mapped[str] = mapped_column(String(998))


class Assignment(Base):
    """Who a message is assigned to, and by whom.

    Keyed by Message-ID where the message has one (`key` "mid:<id>"), so the
    assignment follows the message whatever moves it; else by where it is
    (`key` "loc:<uid>:<folder>"), moved along by the app. `folder` and `uid`
    say where the message was last seen.
    """

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_folder_uid", "folder", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(1100), unique=True)
    message_id: Mapped[str] = mapped_column(String(998), default="", index=True)
    folder: Mapped[str] = mapped_column(String(512))
    uid: Mapped[int] = mapped_column(BigInteger)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # None when another mail client set the keyword.
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    note: Mapped[str] = mapped_column(String(200), default="")
    # Whether the assignee's keyword is on the message: only then does a
    # message seen without it mean that another client unassigned it.
    on_server: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Note(Base):
    """An internal note on a message: for the team, never sent, never
    written into the mailbox. Found by the message's Message-ID, so it
    follows the message wherever it moves; `folder` and `uid` say where the
    message is now (kept up to date on moves) and find messages without one."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_folder_uid", "folder", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Kept as text too, so that a note still names a person who was deleted.
    author_name: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(998), default="", index=True)
    folder: Mapped[str] = mapped_column(String(512))
    uid: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)


class NoteMention(Base):
    """A person named with @ in a note; `seen` once they opened the message."""

    __tablename__ = "note_mentions"
    __table_args__ = (UniqueConstraint("note_id", "user_id", name="uq_note_mentions_note_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seen: Mapped[bool] = mapped_column(Boolean, default=False)


class ReplyDraft(Base):
    """A reply or forward someone is writing, saved as they type, so that a
    closed tab loses nothing. One per person, original message and mode;
    `message_id` tells the original apart from a later message that got
    its UID (after a UIDVALIDITY change)."""

    __tablename__ = "reply_drafts"
    __table_args__ = (
        UniqueConstraint("user_id", "folder", "uid", "mode", name="uq_reply_drafts_original"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    folder: Mapped[str] = mapped_column(String(512))
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(998), default="")
    # "reply", "reply-all" or "forward".
    mode: Mapped[str] = mapped_column(String(16))
    to: Mapped[str] = mapped_column(Text, default="")
    cc: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PopWarning(Base):
    """Mail that left the INBOX in a burst, oldest first, without any action
    of this app: what a mail client set up with POP3 (download and delete)
    does. Shown to managers until one of them dismisses it."""

    __tablename__ = "pop_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the burst last grew: removals soon after it join the same warning.
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    folder: Mapped[str] = mapped_column(String(512))
    # The removed messages as JSON: [{"uid", "message_id", "subject"}, …].
    removed: Mapped[str] = mapped_column(Text, default="[]")
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Kept as text, so that the warning still names a person who was deleted.
    dismissed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class DraftAttachment(Base):
    """A file uploaded into a draft, kept until the reply is sent or dropped."""

    __tablename__ = "draft_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("reply_drafts.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
