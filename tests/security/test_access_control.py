"""Role permissions are enforced in the domain for every service: a signed-in user holding no
role at all is refused (PermissionDenied) by every public method of every service on the Clinic,
before any row changes, except the few methods listed in OPEN with the reason they are open.

New services and methods are found by introspection, so one added without a permission check
fails here until it checks one (or is added to OPEN with its reason)."""

from __future__ import annotations

import inspect
import uuid

import pytest

from iopdesk.errors import PermissionDenied
from iopdesk.models import ALL_MODELS, StaffRole
from iopdesk.services.base import Service
from tests.conftest import ADMIN_PASSWORD

# Methods a signed-in user with no role may call, and why.
OPEN = {
    "users.login": "signing in is how a user gets an actor at all",
    "users.change_password": "a user's own credential, guarded by their current password",
    "users.count": "whether the clinic has any account yet (first-run setup), no personal data",
    "emergency.active_for": "the caller's own grants only; empty for a user without one",
    "audit.verify": "recomputes the audit chain; the answer is ok/broken and counts, no PHI",
    "audit.startup_check": "the start-up tamper check, run before anyone signs in; no PHI",
    "audit.import_key": "installs only this clinic's own audit key (any other is refused)",
    "sync.status": "the status bar's sync indicator for every user; no client data",
    "sync.attention": "Today's sync items: an empty list for anyone without 'sync.run'",
    "sync.renew_identity": "signs in with the name and password it is given (wrong ones are refused and "
                           "audited like any sign-in), then refuses anyone without 'sync.run'",
    "settings.rules": "the clinic's program rules (days, time format); no personal data",
    "settings.rule": "one program rule; no personal data",
    "settings.time_format": "every screen writes times as the clinic does, whoever is signed in",
    "settings.idle_lock_minutes": "every workstation locks after the clinic's idle time, whoever is signed in",
}

# Methods whose names say they write; reported separately so a write gap stands out.
WRITE_VERBS = (
    "add", "admit", "change", "cosign", "create", "define", "delete", "draft", "end", "enroll",
    "export", "generate", "import", "link", "mark", "raise", "record", "refresh", "register",
    "merge", "rekey", "remove", "renew", "request", "resolve", "retire", "revise", "revoke", "run", "save",
    "screen", "set", "share", "sign", "start", "stop", "sync", "unlock", "unshare", "update",
)


def is_write(method_name: str) -> bool:
    return method_name.split("_", 1)[0] in WRITE_VERBS


def public_methods(clinic) -> list[tuple[str, object]]:
    """("service.method", bound method) for every public method of every service on the clinic."""
    found = []
    for attr, service in sorted(vars(clinic).items()):
        if not isinstance(service, Service):
            continue
        for name, _ in inspect.getmembers(type(service), predicate=inspect.isfunction):
            if not name.startswith("_"):
                found.append((f"{attr}.{name}", getattr(service, name)))
    return found


def dummy_arguments(method) -> tuple[list, dict]:
    """A value for each required parameter; the permission check must come before any use."""
    args, kwargs = [], {}
    for param in inspect.signature(method).parameters.values():
        if param.default is not inspect.Parameter.empty or param.kind in (param.VAR_POSITIONAL,
                                                                            param.VAR_KEYWORD):
            continue
        value = str(uuid.uuid4())
        if param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return args, kwargs


def row_counts() -> dict[str, int]:
    return {model._meta.table_name: model.select().count() for model in ALL_MODELS}


@pytest.fixture
def roleless(staffed_clinic):
    """Nell, a real account whose roles were all taken away, signed in."""
    clinic = staffed_clinic
    clinic.login("admin", ADMIN_PASSWORD)
    summary, _ = clinic.users.add("nell", ADMIN_PASSWORD, display_name="Nell Noroles", roles=["biller"])
    StaffRole.delete().where(StaffRole.staff == uuid.UUID(summary.id)).execute()
    clinic.logout()
    actor = clinic.login("nell", ADMIN_PASSWORD)
    assert actor.roles == frozenset() and actor.permissions == frozenset()
    return clinic


def test_the_introspection_finds_the_services_and_their_writes(roleless):
    """The sweep really covers the clinic: many services, and the write methods among them."""
    methods = dict(public_methods(roleless))
    assert {"notes.create_draft", "clients.register", "meds.add_medication", "emergency.request",
            "users.unlock", "billing.run", "sync.import_file"} <= set(methods)
    assert sum(is_write(name.split(".")[1]) for name in methods) > 50
    assert set(OPEN) <= set(methods)


def test_a_user_with_no_role_is_refused_by_every_service_method(roleless):
    """Every public method but the OPEN ones raises PermissionDenied and changes no row."""
    clinic = roleless
    before = row_counts()
    not_refused = []
    for name, method in public_methods(clinic):
        if name in OPEN:
            continue
        args, kwargs = dummy_arguments(method)
        try:
            method(*args, **kwargs)
        except PermissionDenied:
            pass
        except Exception as error:  # noqa: BLE001 (the report names what went wrong)
            not_refused.append(f"{name}{' (WRITE)' if is_write(name.split('.')[1]) else ''}: "
                               f"{type(error).__name__}: {error}")
        else:
            not_refused.append(f"{name}{' (WRITE)' if is_write(name.split('.')[1]) else ''}: no error")
        assert clinic.actor.username == "nell"
    assert not_refused == [], "\n".join(not_refused)
    after = row_counts()
    changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
    assert changed == {}
