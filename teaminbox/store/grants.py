"""Queries on grants and the audit log. They take the caller's session and never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.store.models import AuditRow, GrantRow


def grants_of_user(session: Session, user_id: int) -> list[GrantRow]:
    return list(session.scalars(select(GrantRow).where(GrantRow.user_id == user_id)))


def grants_of_role(session: Session, role: str) -> list[GrantRow]:
    return list(session.scalars(select(GrantRow).where(GrantRow.role == role)))


def all_grants(session: Session) -> list[GrantRow]:
    return list(session.scalars(select(GrantRow).order_by(GrantRow.role, GrantRow.pattern)))


def find_grant(
    session: Session, *, user_id: int | None, role: str | None, pattern: str
) -> GrantRow | None:
    return session.scalar(
        select(GrantRow).where(
            GrantRow.user_id.is_(None) if user_id is None else GrantRow.user_id == user_id,
            GrantRow.role.is_(None) if role is None else GrantRow.role == role,
            GrantRow.pattern == pattern,
        )
    )


def recent_audit(session: Session, limit: int = 200) -> list[AuditRow]:
    return list(session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)))
