"""Where the clinic is kept: binding the models to SQLite or PostgreSQL, schema upgrades, the check at open, encryption at rest, record-writing helpers."""
