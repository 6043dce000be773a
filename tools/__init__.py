"""Developer tools beside the app, never shipped and never collected by pytest (testpaths = tests):
`make bench` (tools.bench) and `make screenshots` (tools.screenshots)."""
