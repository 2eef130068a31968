"""The store: SQLAlchemy 2 (async) models, engine, migrations.

Only repositories (``*/repository.py``) issue queries; dialect differences
(SQLite vs PostgreSQL) live in `ringcast.db.dialect`.
"""
