"""The clinic's rules as code: note and signing rules, names in notes, attendance, measure scoring, drug screens, ICD-10, program rules, attestations. Pure or model-level; no services."""
