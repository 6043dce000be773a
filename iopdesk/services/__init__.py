"""Services: the clinic's workflows, reached through `Clinic` (clinic.clients, clinic.notes, …)."""
