"""The admin command line (`iopdesk …`): `main` parses and dispatches; each other module is one command group."""
