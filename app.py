"""Entry point for `flask --app app …` and WSGI servers (`gunicorn app:app`)."""

from teaminbox import create_app

app = create_app()
