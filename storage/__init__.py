"""Persistence: where the event store lives (SQLite by default, PostgreSQL to scale out),
the private account table, and reading raw event rows for export and verification."""
