"""Schema version 1: every table of the clinic, frozen as it was first shipped.

Frozen copies (not the application models) so this file keeps meaning the same thing as the
models move on."""
# Generated from a schema diff on 2026-11-23 22:31.
from peewee import *


def up(migrator, db):
    class Payer(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        name = CharField()
        code = CharField(unique=True, max_length=20)
        kind = CharField(max_length=20, default='commercial')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'payer'
    db.create_tables([Payer])

    class Site(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        name = CharField()
        code = CharField(unique=True, max_length=8)
        address = TextField(default='')
        phone = CharField(default='')
        facility_npi = CharField(null=True, max_length=10)
        place_of_service = CharField(max_length=2, default='57')
        is_main = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'site'
    db.create_tables([Site])

    class Client(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        mrn = CharField(unique=True, max_length=20)
        legal_first = CharField()
        legal_last = CharField()
        preferred_name = CharField(default='')
        dob = DateField()
        sex = CharField(max_length=1, default='U')
        gender_identity = CharField(default='')
        pronouns = CharField(default='')
        phone = CharField(default='')
        email = CharField(default='')
        address = TextField(default='')
        emergency_name = CharField(default='')
        emergency_phone = CharField(default='')
        emergency_relationship = CharField(default='')
        payer = ForeignKeyField(Payer, null=True)
        member_id = CharField(default='')
        site = ForeignKeyField(Site)
        class Meta:
            database = db
            table_name = 'client'
            indexes = ((('legal_last', 'legal_first'), False), (('dob',), False))
    db.create_tables([Client])

    class Staff(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        username = CharField(unique=True)
        display_name = CharField()
        credentials = CharField(default='')
        npi = CharField(null=True, max_length=10)
        license_number = CharField(default='')
        is_licensed = BooleanField(default=True)
        needs_cosign = BooleanField(default=False)
        supervisor = ForeignKeyField('self', null=True, on_delete='SET NULL')
        site = ForeignKeyField(Site, null=True)
        password_hash = CharField()
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_login_at = DateTimeField(null=True)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'staff'
    db.create_tables([Staff])

    class Episode(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        admitted_on = DateField()
        track = CharField(max_length=20)
        level_of_care = CharField(max_length=10)
        days_per_week = IntegerField(default=5)
        schedule_days = CharField(default='MON,TUE,WED,THU,FRI')
        primary_clinician = ForeignKeyField(Staff)
        status = CharField(max_length=12, default='active')
        expected_weeks = IntegerField(default=8)
        discharged_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'episode'
            indexes = ((('primary_clinician', 'status'), False),)
    db.create_tables([Episode])

    class Discharge(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        episode = ForeignKeyField(Episode, unique=True, on_delete='CASCADE')
        discharged_on = DateField()
        reason = CharField(max_length=30)
        reason_detail = TextField(default='')
        summary = TextField(default=dict)
        aftercare = TextField(default='')
        status = CharField(max_length=12, default='draft')
        signed_at = DateTimeField(null=True)
        signed_by = ForeignKeyField(Staff, null=True)
        content_hash = CharField(null=True, max_length=64)
        class Meta:
            database = db
            table_name = 'discharge'
    db.create_tables([Discharge])

    class AftercareReferral(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        discharge = ForeignKeyField(Discharge, on_delete='CASCADE')
        provider = CharField()
        service = CharField()
        appointment_on = DateField(null=True)
        contact = CharField(default='')
        barriers = TextField(default='')
        class Meta:
            database = db
            table_name = 'aftercare_referral'
    db.create_tables([AftercareReferral])

    class Alert(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        kind = CharField(max_length=30)
        message = TextField()
        raised_at = DateTimeField()
        raised_by = ForeignKeyField(Staff, null=True)
        source_id = UUIDField(null=True)
        resolved_at = DateTimeField(null=True)
        resolved_by = ForeignKeyField(Staff, null=True)
        resolution = TextField(default='')
        class Meta:
            database = db
            table_name = 'alert'
    db.create_tables([Alert])

    class AsamAssessment(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        episode = ForeignKeyField(Episode, null=True)
        assessed_on = DateField()
        assessor = ForeignKeyField(Staff)
        d1_withdrawal = IntegerField()
        d2_biomedical = IntegerField()
        d3_emotional = IntegerField()
        d4_readiness = IntegerField()
        d5_relapse = IntegerField()
        d6_environment = IntegerField()
        recommended_level = CharField(max_length=10)
        detox_need = BooleanField(default=False)
        acute_suicide_risk = BooleanField(default=False)
        severe_withdrawal = BooleanField(default=False)
        referral_to = CharField(default='')
        comments = TextField(default='')
        class Meta:
            database = db
            table_name = 'asam_assessment'
    db.create_tables([AsamAssessment])

    class TherapyGroup(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        name = CharField()
        group_type = CharField(max_length=30)
        site = ForeignKeyField(Site)
        default_minutes = IntegerField(default=180)
        billing_code = CharField(max_length=10, default='90853')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'therapy_group'
    db.create_tables([TherapyGroup])

    class GroupSession(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        group = ForeignKeyField(TherapyGroup, on_delete='CASCADE')
        session_date = DateField()
        starts_at = TimeField()
        ends_at = TimeField()
        status = CharField(max_length=12, default='scheduled')
        topic = CharField(default='')
        modality = CharField(default='')
        shared_note = TextField(default='')
        lead_facilitator = ForeignKeyField(Staff, null=True)
        class Meta:
            database = db
            table_name = 'group_session'
            indexes = ((('session_date', 'group'), False),)
    db.create_tables([GroupSession])

    class Attendance(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        session = ForeignKeyField(GroupSession, on_delete='CASCADE')
        client = ForeignKeyField(Client, on_delete='CASCADE')
        status = CharField(max_length=20)
        arrived_at = TimeField(null=True)
        left_at = TimeField(null=True)
        minutes = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'attendance'
            indexes = ((('session', 'client'), True), (('client', 'session'), False))
    db.create_tables([Attendance])

    class AuditEvent(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        seq = BigIntegerField(unique=True)
        occurred_at = DateTimeField()
        actor_id = UUIDField(null=True)
        actor = CharField()
        action = CharField(max_length=20)
        entity = CharField(max_length=40)
        entity_id = CharField(null=True, max_length=40)
        client_id = UUIDField(index=True, null=True)
        detail = TextField(default=dict)
        prev_hash = CharField(max_length=64)
        event_hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class AuditHead(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        name = CharField(unique=True, max_length=10)
        seq = BigIntegerField(default=0)
        event_hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'audit_head'
    db.create_tables([AuditHead])

    class Authorization(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        payer = ForeignKeyField(Payer)
        number = CharField()
        service_code = CharField(default='')
        starts_on = DateField()
        ends_on = DateField()
        units_authorized = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'authorization'
    db.create_tables([Authorization])

    class FamilySession(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        kind = CharField(max_length=20)
        session_date = DateField()
        starts_at = TimeField()
        ends_at = TimeField()
        clinician = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'family_session'
    db.create_tables([FamilySession])

    class Note(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        episode = ForeignKeyField(Episode, null=True)
        kind = CharField(max_length=20)
        note_format = CharField(max_length=4)
        service_date = DateField()
        starts_at = TimeField(null=True)
        ends_at = TimeField(null=True)
        minutes = IntegerField(default=0)
        place_of_service = CharField(max_length=2, default='57')
        participants = TextField(default='')
        author = ForeignKeyField(Staff)
        sections = TextField(default=dict)
        status = CharField(max_length=16, default='draft')
        signed_at = DateTimeField(null=True)
        content_hash = CharField(null=True, max_length=64)
        cosign_required = BooleanField(default=False)
        cosigned_at = DateTimeField(null=True)
        cosigned_by = ForeignKeyField(Staff, null=True)
        group_session = ForeignKeyField(GroupSession, null=True)
        family_session = ForeignKeyField(FamilySession, null=True)
        class Meta:
            database = db
            table_name = 'note'
            indexes = ((('client', 'service_date'), False), (('author', 'status'), False), (('group_session', 'client'), False))
    db.create_tables([Note])

    class ExportBatch(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        exported_at = DateTimeField()
        exported_by = ForeignKeyField(Staff)
        range_from = DateField()
        range_to = DateField()
        filters = TextField(default='')
        line_count = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'export_batch'
    db.create_tables([ExportBatch])

    class BillableService(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        episode = ForeignKeyField(Episode, null=True)
        service_date = DateField()
        code = CharField(max_length=10)
        modifiers = CharField(max_length=20, default='')
        units = IntegerField(default=1)
        minutes = IntegerField(default=0)
        place_of_service = CharField(max_length=2)
        rendering = ForeignKeyField(Staff)
        supervising = ForeignKeyField(Staff, null=True)
        charge_cents = IntegerField(default=0)
        note = ForeignKeyField(Note, null=True, on_delete='SET NULL')
        attendance = ForeignKeyField(Attendance, null=True, on_delete='SET NULL')
        hold_reason = CharField(null=True)
        export_batch = ForeignKeyField(ExportBatch, null=True)
        exported_hash = CharField(null=True, max_length=64)
        class Meta:
            database = db
            table_name = 'billable_service'
            indexes = ((('service_date', 'client'), False),)
    db.create_tables([BillableService])

    class ClinicSetting(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        key = CharField(unique=True, max_length=80)
        value = TextField()
        class Meta:
            database = db
            table_name = 'clinic_setting'
    db.create_tables([ClinicSetting])

    class Consent(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        discloser = CharField()
        recipient = CharField()
        information = TextField()
        purpose = TextField()
        signed_on = DateField()
        signed_by = CharField()
        expires_on = DateField(null=True)
        expiration_event = CharField(default='')
        revoked_on = DateField(null=True)
        recorded_by = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'consent'
    db.create_tables([Consent])

    class Diagnosis(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        episode = ForeignKeyField(Episode, on_delete='CASCADE')
        code = CharField(max_length=8)
        description = CharField(default='')
        is_primary = BooleanField(default=False)
        noted_on = DateField()
        resolved_on = DateField(null=True)
        at_admission = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'diagnosis'
    db.create_tables([Diagnosis])

    class Disclosure(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        consent = ForeignKeyField(Consent, null=True)
        disclosed_at = DateTimeField()
        disclosed_by = ForeignKeyField(Staff)
        recipient = CharField()
        description = TextField()
        class Meta:
            database = db
            table_name = 'disclosure'
    db.create_tables([Disclosure])

    class DrugScreen(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        collected_on = DateField()
        specimen = CharField(default='urine')
        collected_by = ForeignKeyField(Staff)
        observed = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'drug_screen'
    db.create_tables([DrugScreen])

    class DrugScreenResult(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        screen = ForeignKeyField(DrugScreen, on_delete='CASCADE')
        substance = CharField()
        positive = BooleanField()
        expected = BooleanField(null=True)
        class Meta:
            database = db
            table_name = 'drug_screen_result'
    db.create_tables([DrugScreenResult])

    class FamilyMember(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        name = CharField()
        relationship = CharField()
        phone = CharField(default='')
        consent = ForeignKeyField(Consent, null=True, on_delete='SET NULL')
        comments = TextField(default='')
        class Meta:
            database = db
            table_name = 'family_member'
    db.create_tables([FamilyMember])

    class FamilySessionParticipant(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        session = ForeignKeyField(FamilySession, on_delete='CASCADE')
        family_member = ForeignKeyField(FamilyMember, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'family_session_participant'
            indexes = ((('session', 'family_member'), True),)
    db.create_tables([FamilySessionParticipant])

    class GroupEnrollment(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        group = ForeignKeyField(TherapyGroup, on_delete='CASCADE')
        client = ForeignKeyField(Client, on_delete='CASCADE')
        episode = ForeignKeyField(Episode, on_delete='CASCADE')
        enrolled_on = DateField()
        ended_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'group_enrollment'
    db.create_tables([GroupEnrollment])

    class GroupFacilitator(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        group = ForeignKeyField(TherapyGroup, on_delete='CASCADE')
        staff = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'group_facilitator'
            indexes = ((('group', 'staff'), True),)
    db.create_tables([GroupFacilitator])

    class GroupScheduleSlot(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        group = ForeignKeyField(TherapyGroup, on_delete='CASCADE')
        weekday = IntegerField()
        starts_at = TimeField()
        minutes = IntegerField()
        class Meta:
            database = db
            table_name = 'group_schedule_slot'
    db.create_tables([GroupScheduleSlot])

    class LevelOfCareChange(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        episode = ForeignKeyField(Episode, on_delete='CASCADE')
        effective_on = DateField()
        from_level = CharField(null=True, max_length=10)
        to_level = CharField(max_length=10)
        from_days_per_week = IntegerField(null=True)
        to_days_per_week = IntegerField()
        reason = TextField(default='')
        decided_by = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'level_of_care_change'
    db.create_tables([LevelOfCareChange])

    class Medication(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        drug = CharField()
        route = CharField(default='oral')
        reason = CharField(default='')
        is_mat = BooleanField(default=False)
        prescriber = ForeignKeyField(Staff, null=True)
        prescriber_name = CharField(default='')
        started_on = DateField()
        stopped_on = DateField(null=True)
        stop_reason = CharField(default='')
        class Meta:
            database = db
            table_name = 'medication'
    db.create_tables([Medication])

    class MatAdministration(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        medication = ForeignKeyField(Medication, on_delete='CASCADE')
        given_at = DateTimeField()
        amount = DecimalField(decimal_places=3)
        unit = CharField(max_length=10)
        mode = CharField(max_length=12, default='administered')
        given_by = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'mat_administration'
    db.create_tables([MatAdministration])

    class MeasureResult(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        episode = ForeignKeyField(Episode, null=True)
        measure = CharField(max_length=12)
        administered_on = DateField()
        answers = TextField()
        total = IntegerField()
        band = CharField(default='')
        subscales = TextField(default=dict)
        safety_flag = BooleanField(default=False)
        entered_by = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'measure_result'
            indexes = ((('client', 'measure', 'administered_on'), False),)
    db.create_tables([MeasureResult])

    class MeasureSchedule(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete='CASCADE')
        measure = CharField(max_length=12)
        every_days = IntegerField()
        next_due_on = DateField()
        class Meta:
            database = db
            table_name = 'measure_schedule'
            indexes = ((('client', 'measure'), True),)
    db.create_tables([MeasureSchedule])

    class MedicationDose(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        medication = ForeignKeyField(Medication, on_delete='CASCADE')
        effective_on = DateField()
        amount = DecimalField(decimal_places=3)
        unit = CharField(max_length=10)
        frequency = CharField()
        entered_by = ForeignKeyField(Staff)
        reason = CharField(default='')
        class Meta:
            database = db
            table_name = 'medication_dose'
    db.create_tables([MedicationDose])

    class NoteAddendum(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        note = ForeignKeyField(Note, on_delete='CASCADE')
        author = ForeignKeyField(Staff)
        text = TextField()
        signed_at = DateTimeField()
        content_hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'note_addendum'
    db.create_tables([NoteAddendum])

    class TreatmentPlan(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        episode = ForeignKeyField(Episode, on_delete='CASCADE')
        client = ForeignKeyField(Client, on_delete='CASCADE')
        plan_version = IntegerField(default=1)
        status = CharField(max_length=12, default='draft')
        effective_on = DateField()
        review_due_on = DateField(null=True)
        strengths = TextField(default='')
        barriers = TextField(default='')
        services = TextField(default='')
        referrals = TextField(default='')
        primary_counselor = ForeignKeyField(Staff, null=True)
        clinician_signed_at = DateTimeField(null=True)
        clinician_signed_by = ForeignKeyField(Staff, null=True)
        client_signed_on = DateField(null=True)
        client_signature_name = CharField(default='')
        content_hash = CharField(null=True, max_length=64)
        previous = ForeignKeyField('self', null=True)
        class Meta:
            database = db
            table_name = 'treatment_plan'
            indexes = ((('episode', 'plan_version'), True),)
    db.create_tables([TreatmentPlan])

    class PlanProblem(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        plan = ForeignKeyField(TreatmentPlan, on_delete='CASCADE')
        position = IntegerField(default=0)
        statement = TextField()
        diagnosis_code = CharField(max_length=8, default='')
        class Meta:
            database = db
            table_name = 'plan_problem'
    db.create_tables([PlanProblem])

    class PlanGoal(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        problem = ForeignKeyField(PlanProblem, on_delete='CASCADE')
        position = IntegerField(default=0)
        statement = TextField()
        class Meta:
            database = db
            table_name = 'plan_goal'
    db.create_tables([PlanGoal])

    class PlanObjective(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        goal = ForeignKeyField(PlanGoal, on_delete='CASCADE')
        position = IntegerField(default=0)
        statement = TextField()
        target_date = DateField()
        status = CharField(max_length=20, default='active')
        lineage = UUIDField()
        class Meta:
            database = db
            table_name = 'plan_objective'
    db.create_tables([PlanObjective])

    class NoteObjective(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        note = ForeignKeyField(Note, on_delete='CASCADE')
        objective = ForeignKeyField(PlanObjective, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'note_objective'
            indexes = ((('note', 'objective'), True),)
    db.create_tables([NoteObjective])

    class PlanReview(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        plan = ForeignKeyField(TreatmentPlan, on_delete='CASCADE')
        reviewed_on = DateField()
        reviewer = ForeignKeyField(Staff)
        summary = TextField(default='')
        next_review_on = DateField(null=True)
        signed_at = DateTimeField(null=True)
        content_hash = CharField(null=True, max_length=64)
        class Meta:
            database = db
            table_name = 'plan_review'
    db.create_tables([PlanReview])

    class ObjectiveProgress(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        review = ForeignKeyField(PlanReview, on_delete='CASCADE')
        objective = ForeignKeyField(PlanObjective, on_delete='CASCADE')
        rating = CharField(max_length=20)
        comment = TextField(default='')
        class Meta:
            database = db
            table_name = 'objective_progress'
    db.create_tables([ObjectiveProgress])

    class PlanIntervention(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        objective = ForeignKeyField(PlanObjective, on_delete='CASCADE')
        position = IntegerField(default=0)
        modality = CharField()
        frequency = CharField()
        responsible = ForeignKeyField(Staff, null=True)
        description = TextField(default='')
        class Meta:
            database = db
            table_name = 'plan_intervention'
    db.create_tables([PlanIntervention])

    class SessionFacilitator(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        session = ForeignKeyField(GroupSession, on_delete='CASCADE')
        staff = ForeignKeyField(Staff)
        class Meta:
            database = db
            table_name = 'session_facilitator'
            indexes = ((('session', 'staff'), True),)
    db.create_tables([SessionFacilitator])

    class StaffRole(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        staff = ForeignKeyField(Staff, on_delete='CASCADE')
        role = CharField(max_length=20)
        class Meta:
            database = db
            table_name = 'staff_role'
            indexes = ((('staff', 'role'), True),)
    db.create_tables([StaffRole])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('staff_role'))
    migrator.migrate(migrator.drop_table('session_facilitator'))
    migrator.migrate(migrator.drop_table('plan_intervention'))
    migrator.migrate(migrator.drop_table('objective_progress'))
    migrator.migrate(migrator.drop_table('plan_review'))
    migrator.migrate(migrator.drop_table('note_objective'))
    migrator.migrate(migrator.drop_table('plan_objective'))
    migrator.migrate(migrator.drop_table('plan_goal'))
    migrator.migrate(migrator.drop_table('plan_problem'))
    migrator.migrate(migrator.drop_table('treatment_plan'))
    migrator.migrate(migrator.drop_table('note_addendum'))
    migrator.migrate(migrator.drop_table('medication_dose'))
    migrator.migrate(migrator.drop_table('measure_schedule'))
    migrator.migrate(migrator.drop_table('measure_result'))
    migrator.migrate(migrator.drop_table('mat_administration'))
    migrator.migrate(migrator.drop_table('medication'))
    migrator.migrate(migrator.drop_table('level_of_care_change'))
    migrator.migrate(migrator.drop_table('group_schedule_slot'))
    migrator.migrate(migrator.drop_table('group_facilitator'))
    migrator.migrate(migrator.drop_table('group_enrollment'))
    migrator.migrate(migrator.drop_table('family_session_participant'))
    migrator.migrate(migrator.drop_table('family_member'))
    migrator.migrate(migrator.drop_table('drug_screen_result'))
    migrator.migrate(migrator.drop_table('drug_screen'))
    migrator.migrate(migrator.drop_table('disclosure'))
    migrator.migrate(migrator.drop_table('diagnosis'))
    migrator.migrate(migrator.drop_table('consent'))
    migrator.migrate(migrator.drop_table('clinic_setting'))
    migrator.migrate(migrator.drop_table('billable_service'))
    migrator.migrate(migrator.drop_table('export_batch'))
    migrator.migrate(migrator.drop_table('note'))
    migrator.migrate(migrator.drop_table('family_session'))
    migrator.migrate(migrator.drop_table('authorization'))
    migrator.migrate(migrator.drop_table('audit_head'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('attendance'))
    migrator.migrate(migrator.drop_table('group_session'))
    migrator.migrate(migrator.drop_table('therapy_group'))
    migrator.migrate(migrator.drop_table('asam_assessment'))
    migrator.migrate(migrator.drop_table('alert'))
    migrator.migrate(migrator.drop_table('aftercare_referral'))
    migrator.migrate(migrator.drop_table('discharge'))
    migrator.migrate(migrator.drop_table('episode'))
    migrator.migrate(migrator.drop_table('staff'))
    migrator.migrate(migrator.drop_table('client'))
    migrator.migrate(migrator.drop_table('site'))
    migrator.migrate(migrator.drop_table('payer'))
