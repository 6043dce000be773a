"""Numbered schema migrations run by `iopdesk.storage.schema` with playhouse.migrations; frozen once released."""
