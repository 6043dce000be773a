"""IOP Desk's Qt desktop app: windows, dialogs and models over the `Clinic` services."""
