"""The lowest layer: what every other part uses and nothing here depends on (the clock, ids, change sets, field checks, text formats)."""
