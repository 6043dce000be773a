"""Running one group session: the session window, its roster model and the section editor."""

from .roster_model import RosterTableModel
from .section_editor import SectionEditorWidget
from .session_window import GroupSessionWindow

__all__ = ["GroupSessionWindow", "RosterTableModel", "SectionEditorWidget"]
