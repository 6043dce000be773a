"""IOP Desk domain: clients, episodes, groups, notes, plans, medications, measures, billing.

No Qt here. Everything goes through `open_clinic(url)`, which returns a `Clinic`.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("iopdesk")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+unknown"

from .clinic import Clinic, open_clinic  # noqa: E402

__all__ = ["Clinic", "open_clinic", "__version__"]
