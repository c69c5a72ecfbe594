"""Persistence: the database engine, the session lifecycle, models and queries."""
