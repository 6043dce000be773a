"""The audit trail: the keyed hash chain of events (chain), its key kept outside the database (keys), and the check that signed notes still read as signed (seals)."""
