"""Queries on users. They take the caller's session and never commit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.store.models import User


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


# Who may run the office: a manager whose account is not disabled.
_ACTIVE_MANAGER = (User.role == Role.MANAGER.value, User.active.is_(True))


def count_active_managers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(*_ACTIVE_MANAGER)) or 0


def first_active_manager(session: Session) -> User | None:
    return session.scalar(select(User).where(*_ACTIVE_MANAGER).order_by(User.id).limit(1))
