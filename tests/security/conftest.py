"""The security suite: each test reproduces one attack or careless client from the hardening issue
and fails on the code before its fix. Storage-touching tests run on SQLite and PostgreSQL (the
`database_url` / `db` / `storage` fixtures from tests/database_fixtures.py)."""
