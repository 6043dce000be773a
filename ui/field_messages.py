"""Messages under fields that go away when their cause is fixed.

A form shows the domain's refusal under the field it names (or above the buttons). Left there, a
message that no longer holds ("Cannot sign yet: …" after the field was filled in) tells the
clinician something false. `when_changed` calls back on any edit of a field, whatever kind of
field it is (line, text box, combo, date, time, or a custom field with one of those signals);
the form then asks the domain again (`recheck`) and shows only what still stands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QTimer, SignalInstance
from PySide6.QtWidgets import QLabel, QWidget

from iopdesk.errors import IopDeskError
from ui.operations import user_message

CHANGE_SIGNALS = ("textChanged", "currentTextChanged", "dateChanged", "timeChanged", "valueChanged",
                  "toggled")


def when_changed(widget: QWidget, slot: Callable[[], None]) -> None:
    """Call `slot()` each time the person changes `widget`'s value."""
    for name in CHANGE_SIGNALS:
        signal = getattr(widget, name, None)
        if isinstance(signal, SignalInstance):
            signal.connect(lambda *_args: slot())
            return


def recheck(check: Callable[[], None], labels: Mapping[str, QLabel],
            message: QLabel | None = None) -> IopDeskError | None:
    """Run the domain's `check()` again while a message is shown: a message whose cause is gone
    is hidden, the one that still stands is shown (under its field in `labels`, else in
    `message`). Without `message` only the field messages are managed (the check does not cover
    what is said above the buttons). Does nothing while no message is shown. Returns the error
    still standing."""
    managed = [*labels.values(), *([message] if message is not None else [])]
    shown = [label for label in managed if not label.isHidden()]
    if not shown:
        return None
    try:
        check()
    except IopDeskError as error:
        standing = labels.get(error.field or "", message)
        if standing is None:
            return error
        for label in shown:
            if label is not standing:
                label.hide()
        standing.setText(user_message(error))
        standing.show()
        return error
    for label in shown:
        label.hide()
    return None


def grow_to_fit(window: QWidget) -> None:
    """Once the event loop has laid out a message just shown, make `window` tall enough for it
    (a wrapped message must not be cut off); never shrinks what the person sized."""
    def grow() -> None:
        layout = window.layout()
        if layout is None:
            return
        layout.activate()
        need = (layout.totalHeightForWidth(window.width()) if layout.hasHeightForWidth()
                else layout.totalSizeHint().height())
        if need > window.height():
            window.resize(window.width(), need)
    QTimer.singleShot(0, grow)
