"""Storage: SQLAlchemy tables, repositories, the filter compiler and migrations."""
