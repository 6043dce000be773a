"""`clinic.notes`: clinical notes (service), what a reader sees of them (views), the names check against the database (names) and the review of signed notes that name another client (name_review)."""
