"""The bundle's program: PyInstaller freezes this script into `iopdesk` (see iopdesk.spec)."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
