"""`clinic.groups`: therapy groups and their sessions (service), with setup, the day's sessions, attendance, group notes and the sign-in sheet."""
