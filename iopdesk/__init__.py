"""IOP Desk domain: clients, episodes, groups, notes, plans, medications, measures, billing.

No Qt here. Everything goes through `open_clinic(url)`, which returns a `Clinic`.
`__version__` is the program's version (read in iopdesk/kernel/version.py).
"""

from iopdesk.clinic import Clinic, open_clinic
from iopdesk.kernel.version import __version__

__all__ = ["Clinic", "open_clinic", "__version__"]
