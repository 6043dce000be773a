"""Backups of a SQLite clinic: checked copies, the backup folder, restores, and the audit event each backup writes."""
