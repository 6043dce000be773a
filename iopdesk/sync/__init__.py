"""Site sync: a satellite's SQLite database and the main clinic's database exchange changes.

`triggers` records every row change in the change log; `outgoing` reads them for a peer; `apply`
writes a peer's changes by the conflict rules in `rules`; `files` signs and encrypts sync files;
`session` runs a direct or file sync with the checkpoint rules. `iopdesk.services.sync` is what the
app and the CLI call.
"""
