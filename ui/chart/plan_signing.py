"""`PlanSigning`: the part of the Treatment plan tab that signs a draft plan.

Ctrl+Enter first asks the domain what the draft still lacks (`clinic.plans.check_sign`) and says
it in the tab ("Cannot sign yet: goal … has no objective"), where it stays only while it holds:
every change shown in the tab asks again. A complete draft opens the client's-signature form;
Sign plan there checks the name and date, shows the attestation (`confirm_signature` with
`clinic.plans.attestation("plan")`, listing the version and what it holds) and signs only on
Sign; Cancel leaves the form open and the plan a draft. A mixin of `PlanTab` (it uses the tab's
`clinic`, `plan`, `client_id`, `sign_action`, `sign_message` and `_open`/`_announce`/`_warn`/
`show_both_versions`).
"""

from __future__ import annotations

import html

from iopdesk.errors import ConcurrentEdit, IopDeskError, ValidationError
from ui.attestation_dialog import confirm_signature
from ui.chart import plan_dialogs as forms
from ui.dates import date_text
from ui.field_messages import recheck
from ui.operations import user_message


class PlanSigning:
    """Sign the shown draft plan deliberately; keep the tab's "Cannot sign yet" message true."""

    def sign_plan(self):
        """Sign the shown draft: what it lacks is said in the tab first; then the client's
        signature, the attestation, and only on Sign the signature itself."""
        if not self.sign_action.isEnabled():
            return None
        plans, plan = self.clinic.plans, self.plan
        try:
            plans.check_sign(plan.id)
        except IopDeskError as error:
            if isinstance(error, ValidationError):
                self.sign_message.setText(user_message(error))
                self.sign_message.show()
            else:
                self._warn(self.tr("Sign treatment plan"), error)
            return None
        self.sign_message.hide()
        summary = self.clinic.clients.summary(self.client_id, audit_read=False)

        def save(**values) -> bool:
            plans.check_sign(plan.id, **values)
            if not confirm_signature(dialog, self.tr("Sign treatment plan"), plans.attestation("plan"),
                                     signing=self._signing_lines(plan, values)):
                return False
            try:
                signed, changes = plans.sign(plan.id, expected_version=plan.version, **values)
            except ConcurrentEdit as error:
                self.show_both_versions(error, "sign", None, {"status": "signed", **values})
                raise
            self._announce(changes, plan_id=signed.id)
            return True

        dialog = forms.sign_dialog(self, save, summary.legal_name, self.clinic.actor.display_name,
                                   check=lambda **values: plans.check_sign(plan.id, **values))
        return self._open(dialog)

    def _signing_lines(self, plan, values: dict) -> list[str]:
        """What the attestation lists as signed: the version, what it holds, the client's signature."""
        count = sum(len(o.interventions) for o in plan.objectives)
        return [self.tr("Treatment plan, version {n}, effective {day}: {p} problem(s), {g} goal(s), "
                        "{o} objective(s), {i} intervention(s); signed by the client as {name} on {signed}").format(
                    n=plan.plan_version, day=date_text(plan.effective_on), p=len(plan.problems),
                    g=len(plan.goals), o=len(plan.objectives), i=count,
                    name=html.escape(values["client_signature_name"].strip()),
                    signed=date_text(values["client_signed_on"]))]

    def _recheck_sign(self) -> None:
        """Keep "Cannot sign yet: …" only while it holds: asked again after every change shown."""
        if self.sign_message.isHidden():
            return
        plan = self.plan
        if plan is None or plan.status != "draft":
            self.sign_message.hide()
            return
        recheck(lambda: self.clinic.plans.check_sign(plan.id), {}, self.sign_message)
