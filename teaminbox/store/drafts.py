"""Queries on reply drafts and their attachments. They take the caller's
session and never commit."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from teaminbox.store.models import DraftAttachment, ReplyDraft, utcnow


def find_draft(
    session: Session, user_id: int, folder: str, uid: int, mode: str
) -> ReplyDraft | None:
    return session.scalar(
        select(ReplyDraft).where(
            ReplyDraft.user_id == user_id,
            ReplyDraft.folder == folder,
            ReplyDraft.uid == uid,
            ReplyDraft.mode == mode,
        )
    )


def draft_for(
    session: Session, user_id: int, folder: str, uid: int, mode: str, message_id: str
) -> ReplyDraft:
    """The draft of this person on this original, made empty if there is
    none; one left from another message that had this UID is emptied."""
    draft = find_draft(session, user_id, folder, uid, mode)
    if draft is not None and draft.message_id != message_id:
        remove_attachments(session, draft.id)
        session.delete(draft)
        session.flush()
        draft = None
    if draft is None:
        draft = ReplyDraft(
            user_id=user_id, folder=folder, uid=uid, mode=mode, message_id=message_id
        )
        session.add(draft)
    return draft


def write_draft(draft: ReplyDraft, to: str, cc: str, subject: str, body: str) -> None:
    draft.to, draft.cc, draft.subject, draft.body = to, cc, subject, body
    draft.updated_at = utcnow()


def delete_draft(session: Session, draft: ReplyDraft) -> None:
    remove_attachments(session, draft.id)
    session.delete(draft)


def attachments_of(session: Session, draft_id: int | None) -> list[DraftAttachment]:
    """The draft's files, in the order they were added, data included."""
    if draft_id is None:
        return []
    return list(
        session.scalars(
            select(DraftAttachment)
            .where(DraftAttachment.draft_id == draft_id)
            .order_by(DraftAttachment.id)
        )
    )


def attachments_size(session: Session, draft_id: int | None) -> int:
    if draft_id is None:
        return 0
    total = session.scalar(
        select(func.sum(DraftAttachment.size)).where(DraftAttachment.draft_id == draft_id)
    )
    return int(total or 0)


def add_attachment(
    session: Session, draft: ReplyDraft, filename: str, content_type: str, data: bytes
) -> DraftAttachment:
    """Keep a file with the draft (flushed, so the draft has an id)."""
    if draft.id is None:
        session.flush()
    row = DraftAttachment(
        draft_id=draft.id, filename=filename, content_type=content_type, size=len(data), data=data
    )
    session.add(row)
    return row


def remove_attachments(session: Session, draft_id: int, ids: list[int] | None = None) -> None:
    """Remove the draft's files with these ids (all of them when None)."""
    query = delete(DraftAttachment).where(DraftAttachment.draft_id == draft_id)
    if ids is not None:
        query = query.where(DraftAttachment.id.in_(ids))
    session.execute(query)
