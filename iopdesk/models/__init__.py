"""The clinic's tables. Only code inside `iopdesk/` imports these; everyone else uses `Clinic`."""

from peewee import sort_models

from .audit import AuditEvent, AuditHead, Disclosure
from .base import JSONField, Record, current_site, set_current_site, writing_as_site
from .billing import BillableService, ExportBatch
from .clients import (
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
from .discharge import AftercareReferral, Discharge
from .emergency import EmergencyAccess
from .family import FamilyMember, FamilySession, FamilySessionParticipant
from .groups import (
    Attendance,
    GroupEnrollment,
    GroupFacilitator,
    GroupScheduleSlot,
    GroupSession,
    SessionFacilitator,
    TherapyGroup,
)
from .measures import MeasureResult, MeasureSchedule
from .meds import DrugScreen, DrugScreenResult, MatAdministration, Medication, MedicationDose
from .notes import Note, NoteAddendum, NoteObjective
from .plans import (
    ObjectiveProgress,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanReview,
    TreatmentPlan,
)
from .settings import ClinicSetting
from .staff import Site, Staff, StaffRole
from .sync import SyncApplying, SyncChange, SyncConflict, SyncPeer

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
        SyncChange, SyncApplying, SyncPeer, SyncConflict,
        EmergencyAccess,
    ]
)

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS", "JSONField", "Record", "current_site", "set_current_site", "writing_as_site",
]
