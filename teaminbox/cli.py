"""`flask --app app …` commands for operators and scripts.

Passwords are never taken from the command line (they would land in the
shell history and in `ps`): they are asked twice at a terminal, or read as
two lines from standard input otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.rights import RightsError, format_rights
from teaminbox.services import accounts
from teaminbox.services.reading import folder_list
from teaminbox.services.rights import RightsView, set_grant
from teaminbox.store import migrate
from teaminbox.store.users import find_user
from teaminbox.web.access import database, imap_pool

db_cli = AppGroup("db", help="The database schema.")
user_cli = AppGroup("user", help="The people who log in.")
ROLES = click.Choice([r.value for r in Role])


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or update the tables (safe to run again)."""
    migrate.upgrade(database())
    click.echo(f"database at revision {migrate.current_revision(database())}")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", type=ROLES, default=Role.STAFF.value, show_default=True)
@click.option("--name", "display_name", default="", help="Name shown to colleagues.")
def user_create(username: str, role: str, display_name: str) -> None:
    """Add a person; asks for the password twice."""
    password = read_new_password()
    _run_account_change(
        lambda s: accounts.create_user(s, username, password, Role(role), display_name),
        f"created {username} ({role})",
    )


@user_cli.command("list")
def user_list() -> None:
    """One line per person: username, role, state, name."""
    with database().session() as session:
        for user in accounts.list_users(session):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")


@user_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLES)
def user_set_role(username: str, role: str) -> None:
    """Make a person a manager or staff."""
    _run_account_change(
        lambda s: accounts.set_role(s, username, Role(role)), f"{username} is now {role}"
    )


@user_cli.command("delete")
@click.argument("username")
@click.confirmation_option(prompt="Delete this user?")
def user_delete(username: str) -> None:
    """Remove a person (the mail they handled stays in the mailbox)."""
    _run_account_change(lambda s: accounts.delete_user(s, username), f"deleted {username}")


@click.command("grant")
@with_appcontext
@click.argument("words", nargs=-1, metavar="[USER] FOLDER RIGHTS")
@click.option("--role", type=ROLES, help="Grant to a role's default instead of a user.")
def grant(words: tuple[str, ...], role: str | None) -> None:
    """Give RIGHTS on FOLDER (a name, NAME/* or *) to USER, or with --role
    to a role. RIGHTS are RFC 4314 letters (lrswitekxa) and the word assign;
    an empty string "" denies."""
    if len(words) != (2 if role else 3):
        raise click.UsageError("give USER FOLDER RIGHTS, or --role ROLE FOLDER RIGHTS")
    subject = None if role else words[0]
    folder, rights_text = words[-2:]
    with database().session() as session:
        try:
            row = set_grant(
                session,
                None,
                folder,
                rights_text,
                username=subject,
                role=Role(role) if role else None,
            )
            session.commit()
        except RightsError as exc:
            raise click.ClickException(str(exc)) from exc
    who = f"role {role}" if role else subject
    click.echo(f"{who} on {folder}: {row.rights or '(deny)'}")


@click.command("rights")
@with_appcontext
@click.argument("username")
def rights_command(username: str) -> None:
    """Print a user's effective rights on every folder of the mailbox."""
    with database().session() as session:
        user = find_user(session, username)
        if user is None:
            raise click.ClickException(f"there is no user {username}")
        view = RightsView.load(session, user)
    for entry in folder_list(imap_pool()):
        click.echo(f"{entry.name}\t{format_rights(view.on(entry.name)) or '-'}")


def read_new_password() -> str:
    if sys.stdin.isatty():
        value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    first, second = sys.stdin.readline().rstrip("\n"), sys.stdin.readline().rstrip("\n")
    if first != second:
        raise click.ClickException("the two passwords differ")
    return first


def _run_account_change(change: Callable[[Session], object], done: str) -> None:
    with database().session() as session:
        try:
            change(session)
            session.commit()
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(done)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(grant)
    app.cli.add_command(rights_command)
    from teaminbox.demo.command import demo

    app.cli.add_command(demo)
