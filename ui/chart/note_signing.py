"""Signing from the note editor, and the messages under the note that clear once their cause is fixed.

`sign_note(editor)`: the empty sections and other clients' names are checked on what is on screen
first (the domain's own pure rules), and a refusal is shown under the note with the field at fault
focused, before anything is written; then the attestation (Cancel leaves the note as it was); then
a saved draft is saved and signed, while a new note is created and signed in one transaction
(`clinic.notes.sign_new`), so a sign the domain refuses leaves no draft behind. The overrides given
in the editor go with the signature.

`recheck_message(editor, source)` runs on every edit and after every name check: "Cannot sign yet:
fill in …" follows the sections still empty and goes when none is; a name refusal goes when no
name blocks any more; a refusal naming another field goes when that field is edited.
"""

from __future__ import annotations

import html

from iopdesk.clinical.note_rules import missing_sections_problem, with_goal_filled
from iopdesk.errors import IopDeskError, OtherClientNamed
from ui.attestation_dialog import confirm_signature
from ui.date_fields import entries_ready
from ui.name_findings import words_text
from ui.storage_retry import run_with_retry

FIELD_WIDGETS = {"starts_at": ("start_edit", "end_edit"), "ends_at": ("start_edit", "end_edit"),
                 "minutes": ("start_edit", "end_edit"), "service_date": ("date_edit",),
                 "participants": ("participants_edit",)}


def missing_sections(editor):
    """The domain's "Cannot sign yet: fill in …" for the sections empty on screen, or None (GIRP's
    goal counts as filled when objectives are ticked: signing fills it from them)."""
    chosen = [(objective_id, "") for objective_id in editor.objective_ids()]
    return missing_sections_problem(editor.format, with_goal_filled(editor.format, editor.sections(), chosen))


def recheck_message(editor, source=None) -> None:
    """Clear (or update) the message under the note once what it complained of is fixed."""
    field = editor._message_field
    if field is None:
        return
    if field == "sections":
        problem = missing_sections(editor)
        if problem is None:
            editor.show_error(None)
        elif problem.message != editor.error_label.text():
            editor.error_label.setText(problem.message)
    elif field == "names" or field in editor.section_edits:
        if editor.name_check.ready and not editor.name_check.blocking():
            editor.show_error(None)
    elif source is not None and source in [getattr(editor, name) for name in FIELD_WIDGETS.get(field, ())]:
        editor.show_error(None)


def _refusal_on_screen(editor) -> bool:
    """Show why the note cannot be signed as it is on screen; True when it cannot."""
    editor.name_check.run()
    found = editor.name_check.blocking()
    problem = missing_sections(editor)
    if problem is None and not found:
        return False
    if problem is not None:
        editor.show_error(problem, "sections")
        return True
    editor.show_error(OtherClientNamed(editor.tr(
        "This note names another client ({words}); take the name out or override it before signing.").format(
        words=words_text(found)), field=found[0].field, findings=tuple(found)), found[0].field)
    if found[0].field in editor.section_edits:
        editor.section_edits[found[0].field].setFocus()
    return True


def sign_note(editor) -> bool:
    """Check, attest, then save and sign the note in `editor`; True when signed. A date or time
    that is not one stops it first, with the message under that field."""
    if editor.signed or not entries_ready([editor.date_edit, editor.start_edit, editor.end_edit]):
        return False
    if _refusal_on_screen(editor):
        return False
    if not confirm_signature(editor, editor.tr("Sign note"), editor.clinic.notes.attestation("note"),
                             signing=[html.escape(editor.windowTitle().replace("[*]", ""))]):
        editor.status_label.setText(editor._status_text() + " " + editor.tr("Not signed."))
        return False
    overrides, notes = list(editor.name_check.overrides), editor.clinic.notes
    if editor.note_id is None:
        editor.autosave_timer.stop()

        def call():
            return notes.sign_new(editor._write_draft, overrides=overrides)
    else:
        if not editor.save():
            return False

        def call():
            return notes.sign(editor.note_id, editor.view.version, overrides=overrides)
    try:
        signed = run_with_retry(editor, call, on_refused=editor.show_error)
    except IopDeskError as error:
        editor.show_error(error, error.field)
        if editor.isWindowModified():
            editor.autosave_timer.start()
        return False
    if signed is None:
        return False
    view, changes = signed
    editor.view, editor.note_id = view, view.id
    editor.autosave_timer.stop()
    editor.setWindowModified(False)
    editor.show_error(None)
    editor._show_state()
    editor.name_check.run()
    editor.ops.announce(changes)
    editor.close_button.setFocus()
    return True
