"""Billing rules as data: the shipped `resources/billing_rules.toml` with this clinic's overrides
(clinic setting "billing_rules", merged key by key over the file), validated once and handed to the
derivation as a `BillingRules` object: codes with charges and minutes bands, the per-diem IOP day,
modifiers, and each payer's rules over the "default" payer rule.

Invariants: every code a rule names is defined; an under-minimum rule is "discrete" or "nothing";
a same-day individual rule is "sum" or "separate"; charges are whole cents, never negative.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.errors import ValidationError
from iopdesk.models import ClinicSetting

OVERRIDE_KEY = "billing_rules"
CODE_KINDS = ("per_diem", "individual", "family_with_client", "family_without_client", "group",
              "multi_family_group", "med_management")
UNDER_MINIMUM = ("discrete", "nothing")
SAME_DAY = ("sum", "separate")


@lru_cache(maxsize=1)
def default_billing_rules() -> dict:
    """The shipped rules file, parsed once."""
    with resources.path("billing_rules.toml").open("rb") as fh:
        return tomllib.load(fh)


def _merge(base: dict, over: dict) -> dict:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


@dataclass(frozen=True)
class CodeRule:
    code: str
    description: str
    kind: str
    charge_cents: int
    min_minutes: int | None
    max_minutes: int | None

    def fits(self, minutes: int) -> bool:
        return (self.min_minutes is None or minutes >= self.min_minutes) and (
            self.max_minutes is None or minutes <= self.max_minutes)


@dataclass(frozen=True)
class PayerRule:
    code: str
    self_pay: bool
    requires_authorization: bool
    authorization_codes: frozenset[str]
    under_minimum: str
    bundle_groups_into_day: bool
    individual_same_day: str
    credential_modifiers: tuple[tuple[str, str], ...]
    telehealth_modifier: str
    charge_cents: dict

    def credential_modifier(self, credentials: str, supervised: bool) -> str:
        """The payer's modifier for a clinician's credentials ("" when none applies)."""
        table = dict(self.credential_modifiers)
        if supervised and "supervised" in table:
            return table["supervised"]
        for word in (c.strip().upper() for c in (credentials or "").split(",")):
            if word in table:
                return table[word]
        return ""


class BillingRules:
    """The validated rules of one clinic; build with `billing_rules()`."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.codes = {str(code): _code_rule(str(code), spec) for code, spec in data.get("codes", {}).items()}
        per_diem = data["per_diem"]
        self.min_day_minutes = _whole(per_diem.get("min_minutes", 180), "per_diem.min_minutes")
        self.per_diem_levels = frozenset(str(v) for v in per_diem.get("levels", ()))
        self.track_codes = {str(k): str(v) for k, v in per_diem.get("track_codes", {}).items()}
        self.day_group_codes = frozenset(str(v) for v in per_diem.get("day_group_codes", ()))
        self.group_fallback_code = str(per_diem.get("group_fallback_code", "90853"))
        mods = data.get("modifiers", {})
        self.group_modifier = str(mods.get("group", "HQ"))
        self.family_with_client_modifier = str(mods.get("family_with_client", "HR"))
        self.family_without_client_modifier = str(mods.get("family_without_client", "HS"))
        self.telehealth_places = frozenset(str(v) for v in mods.get("telehealth_places", ("02", "10")))
        payers = data.get("payers", {})
        if "default" not in payers:
            raise ValidationError("Billing rules: a \"default\" payer rule is required.", field="billing_rules")
        self._payers = {code: self._payer_rule(code, _merge(copy.deepcopy(payers["default"]), spec))
                        for code, spec in payers.items()}
        self._check_codes()

    def payer(self, code: str | None) -> PayerRule:
        """The rule of a payer (its own table over "default"), or the default rule."""
        return self._payers.get(code or "", self._payers["default"])

    def code(self, code: str) -> CodeRule:
        return self.codes[code]

    def band(self, kind: str, minutes: int) -> CodeRule | None:
        """The code of this kind whose minutes band holds `minutes` (None below every band)."""
        for rule in sorted((c for c in self.codes.values() if c.kind == kind),
                           key=lambda c: c.min_minutes or 0):
            if rule.fits(minutes):
                return rule
        return None

    def first_of(self, kind: str) -> CodeRule | None:
        """The lowest-band code of a kind (what a too-short service would have been)."""
        rules = sorted((c for c in self.codes.values() if c.kind == kind), key=lambda c: c.min_minutes or 0)
        return rules[0] if rules else None

    def charge(self, payer: PayerRule, code: str, units: int) -> int:
        per_unit = payer.charge_cents.get(code, self.codes[code].charge_cents if code in self.codes else 0)
        return int(per_unit) * units

    @property
    def authorizes_notes(self) -> bool:
        """Whether any payer needs authorizations for services documented by notes alone
        (then units used before a range are counted from notes too)."""
        kinds = {self.codes[c].kind for p in self._payers.values() if p.requires_authorization
                 for c in p.authorization_codes if c in self.codes}
        return bool(kinds - {"per_diem", "group", "multi_family_group"})

    def per_diem_code(self, track: str) -> str | None:
        return self.track_codes.get(track)

    def _payer_rule(self, code: str, spec: dict) -> PayerRule:
        where = f"payers.{code}"
        under = str(spec.get("under_minimum", "discrete"))
        if under not in UNDER_MINIMUM:
            raise ValidationError(f"Billing rules: {where}.under_minimum must be one of "
                                  f"{', '.join(UNDER_MINIMUM)}, not {under!r}.", field="billing_rules")
        same_day = str(spec.get("individual_same_day", "sum"))
        if same_day not in SAME_DAY:
            raise ValidationError(f"Billing rules: {where}.individual_same_day must be one of "
                                  f"{', '.join(SAME_DAY)}, not {same_day!r}.", field="billing_rules")
        charges = {str(k): _whole(v, f"{where}.charge_cents.{k}") for k, v in spec.get("charge_cents", {}).items()}
        return PayerRule(
            code=code, self_pay=bool(spec.get("self_pay", False)),
            requires_authorization=bool(spec.get("requires_authorization", False)),
            authorization_codes=frozenset(str(c) for c in spec.get("authorization_codes", ())),
            under_minimum=under, bundle_groups_into_day=bool(spec.get("bundle_groups_into_day", True)),
            individual_same_day=same_day,
            credential_modifiers=tuple((str(k).upper() if k != "supervised" else k, str(v))
                                       for k, v in spec.get("credential_modifiers", {}).items()),
            telehealth_modifier=str(spec.get("telehealth_modifier", "")), charge_cents=charges,
        )

    def _check_codes(self) -> None:
        named = set(self.track_codes.values()) | {self.group_fallback_code}
        for payer in self._payers.values():
            named |= set(payer.charge_cents)
        unknown = sorted(named - set(self.codes))
        if unknown:
            raise ValidationError(f"Billing rules: code {unknown[0]} is used but not defined under [codes].",
                                  field="billing_rules")
        for kind in ("individual", "family_with_client", "family_without_client", "med_management"):
            if self.first_of(kind) is None:
                raise ValidationError(f"Billing rules: no code of kind {kind!r}.", field="billing_rules")


def _whole(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"Billing rules: {where} must be a whole number, not negative.",
                              field="billing_rules")
    return value


def _code_rule(code: str, spec: dict) -> CodeRule:
    kind = str(spec.get("kind", ""))
    if kind not in CODE_KINDS:
        raise ValidationError(f"Billing rules: codes.{code}.kind must be one of {', '.join(CODE_KINDS)}.",
                              field="billing_rules")
    low, high = spec.get("min_minutes"), spec.get("max_minutes")
    return CodeRule(
        code=code, description=str(spec.get("description", "")), kind=kind,
        charge_cents=_whole(spec.get("charge_cents", 0), f"codes.{code}.charge_cents"),
        min_minutes=None if low is None else _whole(low, f"codes.{code}.min_minutes"),
        max_minutes=None if high is None else _whole(high, f"codes.{code}.max_minutes"),
    )


def billing_rules() -> BillingRules:
    """The shipped rules with this clinic's overrides applied. Raises ValidationError (field
    "billing_rules") naming what is wrong when the result is not a usable set of rules."""
    rules = copy.deepcopy(default_billing_rules())
    row = ClinicSetting.get_or_none(ClinicSetting.key == OVERRIDE_KEY)
    if row is not None and row.value:
        if not isinstance(row.value, dict):
            raise ValidationError("Billing rules: the clinic's override must be a table.", field="billing_rules")
        _merge(rules, row.value)
    return BillingRules(rules)
