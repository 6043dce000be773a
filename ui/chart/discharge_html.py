"""HTML of a discharge for the chart's read-only views: the record part assembled by the domain
(dates, diagnoses, services received and attendance, progress per plan goal, measures first and
last, medications at discharge) and the whole summary (reason, that record, aftercare plan,
referrals, signature or draft status). Rendered into a QTextBrowser, so only the simple HTML Qt
draws: headings, paragraphs and bordered tables; no colours, so the system palette applies.
Every date goes through `ui.dates`; text from the record is escaped.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication

from iopdesk.clinical.program_rules import levels_of_care, tracks
from iopdesk.services.discharge.service import DischargeView
from iopdesk.services.discharge.summary import DischargeSummary
from ui.dates import date_text, stamp_text

_CONTEXT = "DischargeSummary"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[str]], *, wide: bool = False) -> str:
    """A bordered table; `wide` ones (free text in cells) take the full width and wrap."""
    head = "".join(f"<th align='left'>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    width = " width='99%'" if wide else ""  # 100% overflows by the border
    return f"<table border='1' cellspacing='0' cellpadding='4'{width}><tr>{head}</tr>{body}</table>"


def _section(title: str, body: str) -> str:
    return f"<h3 style='margin-top:14px'>{_e(title)}</h3>{body}"


def _none(text: str) -> str:
    return f"<p><i>{_e(text)}</i></p>"


def _level(code: str) -> str:
    level = levels_of_care().get(code)
    return level.label if level else code


def _diagnoses(lines) -> str:
    if not lines:
        return _none(_tr("None recorded."))
    rows = [[_e(d.code), _e(d.description) + (f" <i>({_e(_tr('primary'))})</i>" if d.is_primary else "")]
            for d in lines]
    return _table([_tr("Code"), _tr("Diagnosis")], rows)


def _services(summary: DischargeSummary) -> str:
    s = summary.services
    rate = _tr("no group sessions scheduled") if s.attendance_rate is None else f"{s.attendance_rate:.0%}"
    rows = [
        [_e(_tr("Group sessions attended")), _e(_tr("{attended} of {scheduled} ({rate})").format(
            attended=s.group_sessions_attended, scheduled=s.group_sessions_scheduled, rate=rate))],
        [_e(_tr("Individual sessions")), _e(s.individual_sessions)],
        [_e(_tr("Family sessions")), _e(s.family_sessions)],
        [_e(_tr("Medication management visits")), _e(s.med_management_visits)],
    ]
    return _table([_tr("Service"), _tr("Received")], rows)


def _goals(summary: DischargeSummary) -> str:
    if not summary.goals:
        return _none(_tr("No treatment plan on record."))
    parts = []
    for goal in summary.goals:
        parts.append(f"<p><b>{_e(_tr('Problem:'))}</b> {_e(goal.problem)}<br>"
                     f"<b>{_e(_tr('Goal:'))}</b> {_e(goal.goal)}</p>")
        rows = [[_e(o.statement), _e(date_text(o.target_date)),
                 _e(o.rating_label) + (f" ({_e(date_text(o.rated_on))})" if o.rated_on else ""), _e(o.comment)]
                for o in goal.objectives]
        parts.append(_table([_tr("Objective"), _tr("Target"), _tr("Progress"), _tr("Comment")], rows, wide=True))
    return "".join(parts)


def _measures(summary: DischargeSummary) -> str:
    if not summary.measures:
        return _none(_tr("No measures given during the episode."))
    rows = []
    for m in summary.measures:
        change = f"{m.change:+d}" if m.times_given > 1 else "—"
        rows.append([_e(m.measure),
                     _e(f"{m.first_total} ({m.first_band}) {date_text(m.first_on)}"),
                     _e(f"{m.last_total} ({m.last_band}) {date_text(m.last_on)}"),
                     _e(change), _e(m.times_given)])
    return _table([_tr("Measure"), _tr("First"), _tr("Last"), _tr("Change"), _tr("Times given")], rows)


def _medications(summary: DischargeSummary) -> str:
    if not summary.medications:
        return _none(_tr("No active medications at discharge."))
    rows = [[_e(m.drug) + (f" <b>{_e(_tr('(MAT)'))}</b>" if m.is_mat else ""), _e(m.dose), _e(m.frequency),
             _e(m.route), _e(m.prescriber)] for m in summary.medications]
    return _table([_tr("Drug"), _tr("Dose"), _tr("Frequency"), _tr("Route"), _tr("Prescriber")], rows)


def record_html(summary: DischargeSummary) -> str:
    """The part of the summary assembled from the record, section by section."""
    episode = (f"<p>{_e(_tr('Admitted'))} <b>{_e(date_text(summary.admitted_on))}</b> · "
               f"{_e(_tr('discharged'))} <b>{_e(date_text(summary.discharged_on))}</b> · "
               f"{_e(_tr('level of care'))} {_e(_level(summary.level_of_care))} · "
               f"{_e(tracks().get(summary.track, summary.track))}</p>")
    return "".join([
        _section(_tr("Episode of care"), episode),
        _section(_tr("Diagnoses at admission"), _diagnoses(summary.diagnoses_at_admission)),
        _section(_tr("Diagnoses at discharge"), _diagnoses(summary.diagnoses_at_discharge)),
        _section(_tr("Services received"), _services(summary)),
        _section(_tr("Progress per plan goal"), _goals(summary)),
        _section(_tr("Measures, first and last"), _measures(summary)),
        _section(_tr("Medications at discharge"), _medications(summary)),
    ])


def referrals_html(view: DischargeView) -> str:
    if not view.referrals:
        return _none(_tr("No aftercare referrals."))
    rows = [[_e(r.provider), _e(r.service), _e(date_text(r.appointment_on)), _e(r.contact), _e(r.barriers)]
            for r in view.referrals]
    return _table([_tr("Provider"), _tr("Service"), _tr("Appointment"), _tr("Contact"), _tr("Barriers")], rows,
                  wide=True)


def _paragraphs(text: str) -> str:
    if not text.strip():
        return _none(_tr("Not written yet."))
    return "".join(f"<p>{_e(p).replace(chr(10), '<br>')}</p>" for p in text.strip().split("\n\n"))


def signature_text(view: DischargeView) -> str:
    """"Signed by … on …" or the draft's due date."""
    if view.status == "signed":
        return _tr("Signed by {who} on {when}. The summary is locked and cannot be changed.").format(
            who=view.signed_by, when=stamp_text(view.signed_at))
    return _tr("Draft, not signed. Summary due {due}.").format(due=date_text(view.due_on))


def discharge_html(view: DischargeView) -> str:
    """The whole discharge summary as the chart shows it and the signer reviews it."""
    reason = f"<p><b>{_e(view.reason_label)}</b></p>"
    if view.reason_detail:
        reason += f"<p>{_e(view.reason_detail)}</p>"
    return "".join([
        f"<h2>{_e(_tr('Discharge summary'))}</h2>",
        f"<p>{_e(_tr('Discharge date'))}: <b>{_e(date_text(view.discharged_on))}</b></p>",
        _section(_tr("Reason for discharge"), reason),
        record_html(view.summary),
        _section(_tr("Aftercare plan"), _paragraphs(view.aftercare)),
        _section(_tr("Aftercare referrals"), referrals_html(view)),
        _section(_tr("Signature"), f"<p>{_e(signature_text(view))}</p>"),
    ])
