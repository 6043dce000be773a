"""Sign all for a group session, as the facilitator goes through it: save the session, check the
names once more, ask the domain what would be signed with the overrides given
(`clinic.groups.sign_preview`), show the attestation listing the notes that will be signed and,
apart, each section held back with the reason — a blocked one with its words highlighted in
context — then sign on confirmation (`clinic.groups.sign_all`, which checks everything again in its
transaction). Cancel signs nothing. When nothing can be signed the reasons are shown instead of an
attestation with nothing to attest.
"""

from __future__ import annotations

import html
from dataclasses import replace

from iopdesk.clinical.name_rules import Finding
from iopdesk.clinical.note_formats import lookup_format
from iopdesk.errors import IopDeskError
from iopdesk.services.groups.service import SignAllResult
from ui.attestation_dialog import confirm_signature
from ui.name_findings import MARK_STYLE, excerpt_html
from ui.operations import user_message
from ui.storage_retry import run_with_retry


def _field_labels(window) -> dict[str, str]:
    labels = {s.key: window.tr(s.label) for s in lookup_format("GROUP").sections}
    labels.update(topic=window.tr("Topic"), modality=window.tr("Modality"), shared_note=window.tr("Shared note"))
    return labels


def _in_context(text: str, finding: Finding) -> str:
    if text[finding.start:finding.end] != finding.words and finding.words in text:
        at = text.index(finding.words)
        return excerpt_html(text, replace(finding, start=at, end=at + len(finding.words)))
    if text[finding.start:finding.end] == finding.words:
        return excerpt_html(text, finding)
    return f"<span style=\"{MARK_STYLE}\">{html.escape(finding.words)}</span>"


def left_out_lines(window, result: SignAllResult, names: dict[str, str]) -> list[str]:
    """Rich-text lines: each blocked section with its reason and words in context, then the rest."""
    labels, texts, shared = _field_labels(window), window.name_check.sections(), window.name_check.shared()
    lines = []
    for blocked in result.blocked:
        who = names.get(blocked.client_id, "") if blocked.client_id else window.tr("Shared part")
        parts = [f"<b>{html.escape(who)}</b> — {html.escape(blocked.reason)}"]
        for f in blocked.findings:
            text = shared.get(f.field, "") if f.client_id is None else texts.get(f.client_id, {}).get(f.field, "")
            parts.append(f"&nbsp;&nbsp;&nbsp;{html.escape(labels.get(f.field, f.field))}: {_in_context(text, f)}")
        lines.append("<br>".join(parts))
    lines += [f"<b>{html.escape(names.get(cid, cid))}</b> — {html.escape(reason)}" for cid, reason in result.incomplete]
    return lines


def _show_result(window, result: SignAllResult, names: dict[str, str], *, signed: bool) -> None:
    first = (window.tr("{n} notes signed.").format(n=len(result.signed)) if signed
             else window.tr("Nothing can be signed yet."))
    lines = [first]
    if result.blocked or result.incomplete:
        lines.append(window.tr("Not signed:"))
        lines += [f"• {names.get(b.client_id, '') if b.client_id else window.tr('Shared part')}: {b.reason}"
                  for b in result.blocked]
        lines += [f"• {names.get(cid, cid)}: {reason}" for cid, reason in result.incomplete]
    window.result_label.setText("\n".join(lines))
    window.result_label.show()
    window.status_text.setText(first)


def sign_all(window) -> bool:
    """Save, check, attest and sign the session's notes in `window`; True when any was signed."""
    if not window.save():
        return False
    window.name_check.run()
    overrides = list(window.name_check.overrides)
    groups = window.clinic.groups
    try:
        preview = groups.sign_preview(window.session_id, overrides)
    except IopDeskError as error:
        window.status_text.setText(user_message(error))
        return False
    names = {r.client_id: r.display_name for r in window.model.rows()}
    if not preview.signed:
        _show_result(window, preview, names, signed=False)
        return False
    if not confirm_signature(window, window.tr("Sign group notes"), groups.attestation("group_session"),
                             signing=[html.escape(names.get(cid, cid)) for cid in preview.signed],
                             left_out=left_out_lines(window, preview, names)):
        window.status_text.setText(window.tr("Nothing was signed."))
        return False
    try:
        signed = run_with_retry(window, lambda: groups.sign_all(window.session_id, overrides),
                                on_refused=lambda error: window.status_text.setText(user_message(error)))
    except IopDeskError as error:
        window.status_text.setText(user_message(error))
        return False
    if signed is None:
        return False
    result, changes = signed
    for client_id in result.signed:
        window.editor.clear_history(client_id)
    window.announce_and_reload(changes)
    _show_result(window, result, names, signed=True)
    return bool(result.signed)
