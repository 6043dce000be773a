"""A client's whole record as files: the computable export and reading it back into an empty clinic."""
