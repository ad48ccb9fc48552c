"""Storage: SQLAlchemy tables, the engine (SQLite or PostgreSQL), unit of work, migrations."""
