"""Documents and spreadsheets: PDF (ReportLab) and xlsx (openpyxl) writers, pure functions from
read models to files, and the commands that need them (`iopdesk print`, `iopdesk export`, in
`print_cli` and `export_cli`), with the billing export flow the Billing screen and the command
share (`billing_export`).

Imports `iopdesk` read models and services, never Qt and never `ui`; the writers run no queries
of their own.
"""
