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


def audit_rows(
    session: Session,
    *,
    before_id: int | None = None,
    action: str | None = None,
    actor_name: str | None = None,
    limit: int = 200,
) -> list[AuditRow]:
    """Log rows newest first, older than `before_id` when given, optionally
    of one action or one actor."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditRow.id < before_id)
    if action:
        query = query.where(AuditRow.action == action)
    if actor_name:
        query = query.where(AuditRow.actor_name == actor_name)
    return list(session.scalars(query))


def audit_actions(session: Session) -> list[str]:
    """Every action name the log holds, for a filter."""
    return list(session.scalars(select(AuditRow.action).distinct().order_by(AuditRow.action)))


def audit_actor_names(session: Session) -> list[str]:
    """Everyone the log names as an actor (deleted people included)."""
    query = (
        select(AuditRow.actor_name)
        .where(AuditRow.actor_name != "")
        .distinct()
        .order_by(AuditRow.actor_name)
    )
    return list(session.scalars(query))
