"""`clinic.plans`: treatment plans (service), editing a draft, reviews and the read models."""
