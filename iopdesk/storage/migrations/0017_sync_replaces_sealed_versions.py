"""The signed-record guards again, letting a sync replace a sealed row with another sealed version.

A draft signed at two sites before they synced stopped every later sync: sync rule 1 hands the
losing site the winning signature, and the guard of migration 0009 refused that write, so the whole
batch failed (issue 20). The guards of iopdesk/audit/guards.py now let exactly that write through
while a sync applies a peer's change; see its docstring for why the seal check still holds.
"""

from iopdesk.audit.guards import install_guards


def up(migrator, db):
    install_guards(db)


def down(migrator, db):
    install_guards(db)
