"""The clinic's tables. Only code inside `iopdesk/` imports these; everyone else uses `Clinic`."""

from peewee import sort_models

from iopdesk.models.audit import AuditEvent, AuditHead, Disclosure
from iopdesk.models.base import JSONField, Record, current_site, set_current_site, writing_as_site
from iopdesk.models.billing import BillableService, ExportBatch
from iopdesk.models.clients import (
    Alert,
    AsamAssessment,
    Authorization,
    Client,
    Consent,
    Diagnosis,
    Episode,
    LevelOfCareChange,
    Payer,
)
from iopdesk.models.discharge import AftercareReferral, Discharge
from iopdesk.models.emergency import EmergencyAccess
from iopdesk.models.family import FamilyMember, FamilySession, FamilySessionParticipant
from iopdesk.models.groups import (
    Attendance,
    GroupEnrollment,
    GroupFacilitator,
    GroupScheduleSlot,
    GroupSession,
    SessionFacilitator,
    TherapyGroup,
)
from iopdesk.models.measures import MeasureResult, MeasureSchedule
from iopdesk.models.meds import (
    DrugScreen,
    DrugScreenResult,
    MatAdministration,
    Medication,
    MedicationDose,
)
from iopdesk.models.notes import Note, NoteAddendum, NoteObjective
from iopdesk.models.plans import (
    ObjectiveProgress,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanReview,
    TreatmentPlan,
)
from iopdesk.models.scope import ClientShare, SyncScope
from iopdesk.models.settings import ClinicSetting
from iopdesk.models.staff import Site, Staff, StaffRole
from iopdesk.models.sync import (
    SiteIncarnation,
    SyncApplying,
    SyncChange,
    SyncConflict,
    SyncPeer,
    SyncSiteKey,
)

ALL_MODELS = sort_models(
    [
        Site, Staff, StaffRole, Payer, Client, Authorization, Episode, LevelOfCareChange,
        Diagnosis, AsamAssessment, Consent, Alert, TherapyGroup, GroupScheduleSlot,
        GroupFacilitator, GroupEnrollment, GroupSession, SessionFacilitator, Attendance,
        TreatmentPlan, PlanProblem, PlanGoal, PlanObjective, PlanIntervention, PlanReview,
        ObjectiveProgress, FamilyMember, FamilySession, FamilySessionParticipant, Note,
        NoteObjective, NoteAddendum, Medication, MedicationDose, MatAdministration, DrugScreen,
        DrugScreenResult, MeasureResult, MeasureSchedule, Discharge, AftercareReferral,
        ExportBatch, BillableService, AuditEvent, AuditHead, Disclosure, ClinicSetting,
        SyncChange, SyncApplying, SyncPeer, SyncConflict, SyncSiteKey, SiteIncarnation,
        EmergencyAccess, ClientShare, SyncScope,
    ]
)

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS", "JSONField", "Record", "current_site", "set_current_site", "writing_as_site",
]
