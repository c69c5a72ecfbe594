"""The operator's commands, run as `flask --app app …` would run them."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Flask

from teaminbox.services.accounts import authenticate
from teaminbox.store import migrate


def test_user_create_reads_the_password_twice_from_stdin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["user", "create", "Denise", "--role", "manager", "--name", "Denise Roux"],
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    with app.extensions["teaminbox.database"].session() as session:
        user = authenticate(session, "denise", "s3cret-pass")
        assert user is not None and user.role == "manager" and user.display_name == "Denise Roux"


def test_user_create_refuses_differing_or_short_passwords(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "eve"], input="one-password\nanother-one\n")
    assert result.exit_code != 0 and "differ" in result.output
    result = runner.invoke(args=["user", "create", "eve"], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 8" in result.output
    result = runner.invoke(args=["user", "create", "alice"], input="long-enough\nlong-enough\n")
    assert result.exit_code != 0 and "already exists" in result.output


def test_user_list_set_role_and_delete(app: Flask) -> None:
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["user", "list"]).output
    assert "alice\tstaff\tactive\tAlice Martin" in listing
    assert "claire\tmanager\tactive" in listing
    assert runner.invoke(args=["user", "set-role", "alice", "manager"]).exit_code == 0
    assert "alice\tmanager" in runner.invoke(args=["user", "list"]).output
    assert runner.invoke(args=["user", "delete", "alice", "--yes"]).exit_code == 0
    assert "alice" not in runner.invoke(args=["user", "list"]).output
    result = runner.invoke(args=["user", "delete", "nobody", "--yes"])
    assert result.exit_code != 0 and "no user nobody" in result.output


def test_db_upgrade_is_safe_to_run_again(app: Flask) -> None:
    database = app.extensions["teaminbox.database"]
    head = ScriptDirectory.from_config(migrate.alembic_config(database)).get_current_head()
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"database at revision {head}" in result.output
