"""`clinic.discharge`: discharge (service) and the summary assembled from the record (summary)."""
