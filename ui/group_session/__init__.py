"""Running one group session: the session window, its roster model and the section editor."""

from ui.group_session.roster_model import RosterTableModel
from ui.group_session.section_editor import SectionEditorWidget
from ui.group_session.session_window import GroupSessionWindow

__all__ = ["GroupSessionWindow", "RosterTableModel", "SectionEditorWidget"]
