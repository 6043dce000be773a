"""`clinic.settings`: the clinic's program rules as an administrator sets them.

Every rule has a shipped default (`resources/program_rules.toml`, e.g. `display.time_format`
"12h"); an administrator may set another value for this clinic, kept in the clinic setting
"program_rules" (which `iopdesk.clinical.program_rules.rule` reads). The setting is local to this database, so a
satellite site keeps its own. A value keeps the type of the shipped default and, where
`resources/program_rule_limits.toml` lists it, one of its choices or a number within its range; a
number not listed there is 0 or more. Text is taken too (the command line passes "24h", "7",
"true" or "a, b"), read as the default's type. Anything else is refused with a ValidationError
naming the rule; an unknown rule is refused the same way. Only `admin.settings` may change a rule;
each change is audited with the old and the new value in the same transaction. Anyone signed in
may read the rules: every screen follows the time format.

The idle lock is one of these rules, `workstation.idle_lock_minutes` (default 10, 1 to 30): ONC 2015
Edition §170.315(d)(5) "automatic access time-out" asks that a session end after a period of
inactivity, and the program holds it to half an hour at most. It is the clinic's, not a
workstation's: it used to be read from each person's own settings file, where any number was
taken (525,600 minutes; from 35,792 up Qt's timer overflowed and the lock never started).
`idle_lock_minutes` reads it back within those bounds even if the database was edited by hand.
"""

from __future__ import annotations

import logging
import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.clinical.program_rules import OVERRIDE_KEY, default_rules, program_rules
from iopdesk.errors import ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.models import ClinicSetting
from iopdesk.services.base import Service

IDLE_LOCK_RULE = "workstation.idle_lock_minutes"
_log = logging.getLogger(__name__)
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_KIND_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


@dataclass(frozen=True)
class ProgramRule:
    """One program rule: its key ("section.name"), this clinic's value and the shipped default,
    with what an administrator may set it to (`choices`, or `minimum`/`maximum` for a number) and
    `why`, the reason for that range where the limits file gives one."""

    key: str
    value: object
    default: object
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    why: str = ""

    @property
    def changed(self) -> bool:
        """True when this clinic has set a value other than the shipped default."""
        return self.value != self.default


@lru_cache(maxsize=1)
def _limits() -> dict:
    with resources.path("program_rule_limits.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {f"{section}.{name}": limits for section, names in data.items() for name, limits in names.items()}


def _split(key: str) -> tuple[str, str]:
    section, _, name = (key or "").strip().partition(".")
    if not name or name not in default_rules().get(section, {}):
        known = ", ".join(f"{s}.{n}" for s, names in default_rules().items() for n in names)
        raise ValidationError(f"Program rule: there is no rule {key!r}; the rules are {known}.", field="rule")
    return section, name


def _typed(key: str, default, value):
    """`value` as the type of `default` (text is read as that type); ValidationError otherwise."""
    kind = type(default)
    if isinstance(default, list):
        items = [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValidationError(f"Program rule {key}: give a list.", field="value")
        element = type(default[0]) if default else str
        return [_typed(key, element(), item) for item in items]
    if isinstance(value, str) and kind is not str:
        text = value.strip().lower()
        try:
            if kind is bool:
                if text not in _TRUE + _FALSE:
                    raise ValueError(text)
                return text in _TRUE
            return kind(text)
        except ValueError:
            raise ValidationError(f"Program rule {key}: {value!r} is not {_KIND_WORDS[kind]}.",
                                  field="value") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not kind:
        raise ValidationError(f"Program rule {key}: {value!r} is not {_KIND_WORDS[kind]}.", field="value")
    return value.strip() if isinstance(value, str) else value


def _describe(key: str, value) -> ProgramRule:
    section, name = _split(key)
    limits = _limits().get(key, {})
    return ProgramRule(key, value, default_rules()[section][name], tuple(limits.get("choices", ())),
                       limits.get("min"), limits.get("max"), limits.get("why", ""))


class SettingsService(Service):
    def rules(self) -> list[ProgramRule]:
        """Every program rule with this clinic's value, in the order of the shipped file."""
        current = program_rules()
        return [_describe(f"{section}.{name}", current[section][name])
                for section, names in default_rules().items() for name in names]

    def rule(self, key: str) -> ProgramRule:
        """One rule ("display.time_format"); ValidationError (rule) for a rule that does not exist."""
        section, name = _split(key)
        return _describe(key, program_rules()[section][name])

    def time_format(self) -> str:
        """How this clinic writes times: "12h" (9:30 AM) or "24h" (09:30)."""
        return str(self.rule("display.time_format").value)

    def idle_lock_minutes(self) -> int:
        """Minutes without keyboard or mouse input before a workstation locks (ONC §170.315(d)(5)
        automatic access time-out; 1 to 30 by program policy). A value outside that range can only
        have been written around `set_rule`: it is logged and held to the nearest bound."""
        described = self.rule(IDLE_LOCK_RULE)
        low, high = int(described.minimum), int(described.maximum)
        value = described.value
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else described.default
        held = int(min(max(number, low), high)) if math.isfinite(number) else described.default
        _log.warning("Program rule %s holds %r, outside %s to %s; the workstation locks after %s minutes",
                     IDLE_LOCK_RULE, value, low, high, held)
        return held

    def _checked(self, key: str, value) -> object:
        """The value `key` would be set to (read as the default's type); ValidationError naming
        the rule when it is not a value the rule takes."""
        described = self.rule(key)
        value = _typed(key, described.default, value)
        if described.choices and value not in described.choices:
            raise ValidationError(f"Program rule {key}: {value!r} is not one of "
                                  f"{', '.join(described.choices)}.", field="value")
        numbers = value if isinstance(value, list) else [value]
        for number in (n for n in numbers if isinstance(n, int | float) and not isinstance(n, bool)):
            low = described.minimum if described.minimum is not None else 0
            if number < low or (described.maximum is not None and number > described.maximum):
                span = f"from {low} to {described.maximum}" if described.maximum is not None else f"{low} or more"
                why = f" ({described.why})" if described.why else ""
                raise ValidationError(f"Program rule {key}: {number} is out of range; it takes {span}{why}.",
                                      field="value")
        return value

    def set_rule(self, key: str, value) -> tuple[ProgramRule, Changes]:
        """Set a program rule for this clinic (administrators: `admin.settings`), audited with the
        old and new value (a value the rule already has changes nothing). Setting the shipped default removes the clinic's own value. Raises
        PermissionDenied, or ValidationError naming the rule or the value."""
        self.actor.require("admin.settings")
        value = self._checked(key, value)
        section, name = _split(key)
        with self.db.atomic():
            old = program_rules()[section][name]
            if value == old:
                return self.rule(key), Changes()
            row = ClinicSetting.get_or_none(ClinicSetting.key == OVERRIDE_KEY)
            overrides = {s: dict(names) for s, names in (row.value if row else {}).items()}
            if value == default_rules()[section][name]:
                overrides.get(section, {}).pop(name, None)
            else:
                overrides.setdefault(section, {})[name] = value
            overrides = {s: names for s, names in overrides.items() if names}
            if row is None:
                ClinicSetting.create(key=OVERRIDE_KEY, value=overrides)
            else:
                ClinicSetting.update(value=overrides, updated_at=utcnow(), version=ClinicSetting.version + 1).where(
                    ClinicSetting.id == row.id).execute()
            self._audit("update", "program_rule", None, detail={"rule": key, "from": old, "to": value})
        return self.rule(key), Changes.of("settings")

    def reset_rule(self, key: str) -> tuple[ProgramRule, Changes]:
        """Put a rule back to the shipped default (as `set_rule` with the default)."""
        self.actor.require("admin.settings")
        return self.set_rule(key, self.rule(key).default)
