"""The pages a document carries when it is released outside the program: to whom, when, by whom and
under which consent; the full 42 CFR Part 2 redisclosure notice; and a copy of the consent's
elements, as the 2024 rule asks. The consent itself is checked by the domain
(`clinic.disclosures.release_consent`) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak

from iopdesk.services.consents import ConsentView
from iopdesk.services.disclosures import DocumentContext
from reports.blocks import data_table, date_text, markup, para, stamp_text, text


@dataclass(frozen=True)
class Release:
    recipient: str
    consent: ConsentView


def release_story(release: Release, context: DocumentContext, document: str, width: float) -> list[Flowable]:
    """The release pages for `document` (e.g. "Treatment plan, version 2"), laid out `width` wide
    (the page's frame: reports/page.py passes it, so this module need not import the page)."""
    consent = release.consent
    expires = date_text(consent.expires_on) if consent.expires_on else consent.expiration_event
    story: list[Flowable] = [
        PageBreak(),
        para("Released outside the program", "heading"),
        markup(f"{text(document)} released to <b>{text(release.recipient)}</b> on "
               f"{stamp_text(context.printed_at, context.time_format)} by {text(context.printed_by)}, under the client's written "
               f"consent signed {date_text(consent.signed_on)}. This release is recorded in the "
               "client's disclosure log."),
    ]
    if context.part2:
        story.append(para(context.part2_full_notice, "notice"))
    story += [
        para("Consent to disclose (copy of its elements)", "subheading"),
        data_table(("Element", "As consented"), [
            ("Client", context.client_name),
            ("Who may disclose", consent.discloser),
            ("Information to disclose", consent.information),
            ("Recipient", consent.recipient),
            ("Purpose", consent.purpose),
            ("Right to revoke", "The client was told the consent may be revoked at any time, except for "
                                "information already released in reliance on it."),
            ("Expiration", expires),
            ("Signed", f"{consent.signed_by}, {date_text(consent.signed_on)}"),
        ], (45 * mm, width - 45 * mm), bold_first_column=True),
    ]
    return story
