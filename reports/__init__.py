"""PDF (ReportLab) and xlsx (openpyxl) writers: pure functions from read models to files.

Imports `iopdesk` read models, never Qt and never `ui`; runs no queries of its own.
"""
