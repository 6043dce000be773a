"""Clients: registration with MRN assignment, the chart summary (an audited read), search.

Invariants: an MRN is the registering site's code plus a number, unique across sites; every
opening of a chart is audited; search returns identifiers and names only. Every client read or
written here has its names, MRN and date of birth registered with the log filter
(`iopdesk.logs.register_phi`), so a later log line naming them is blanked; only the rows
returned are registered (a set add each), never the whole table. A client merged into another
chart (iopdesk/services/client_merge.py) is found by its MRN as the chart it was merged into.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.errors import IopDeskError, NotFound, PossibleDuplicate, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.text_limits import NAME
from iopdesk.kernel.validation import bounded_text, date_of_birth, required_text
from iopdesk.logs import register_phi
from iopdesk.models import Client, Episode, Payer, Site
from iopdesk.services.base import Service
from iopdesk.storage.records import as_uuid
from iopdesk.storage.search import prefix_match
from iopdesk.sync import incarnation

SEXES = {"F": "Female", "M": "Male", "X": "X / unspecified", "U": "Unknown"}


@dataclass(frozen=True)
class ClientSummary:
    id: str
    mrn: str
    legal_name: str
    preferred_name: str
    dob: dt.date
    sex: str
    pronouns: str
    payer: str
    member_id: str
    site_code: str
    episode_status: str


@dataclass(frozen=True)
class ClientSearchRow:
    id: str
    mrn: str
    legal_name: str
    preferred_name: str
    dob: dt.date
    merged_from: str = ""  # the MRN typed, when it belongs to a chart merged into this one

    @property
    def display_name(self) -> str:
        """How the clinic addresses the client: preferred first name when there is one."""
        if not self.preferred_name:
            return self.legal_name
        first, _, last = self.legal_name.partition(" ")
        return f"{self.preferred_name} ({first}) {last}".strip()


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
_MRN_RE = re.compile(r"^[A-Za-z]{1,8}-?([A-Za-z][0-9A-Za-z]{3}-)?\d*$|^\d{3,}$")


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _keep_out_of_logs(first: str, last: str, preferred: str, mrn: str, dob: dt.date | None) -> None:
    """Register a client's identifying text with the log filter (cheap: a set add per value)."""
    register_phi(first, last, preferred, mrn, str(dob or ""))


def client_uuid(client_id: str | uuid.UUID) -> uuid.UUID:
    return as_uuid(client_id, "client")


class ClientService(Service):
    def register(
        self,
        *,
        legal_first: str,
        legal_last: str,
        dob: dt.date | str,
        sex: str = "U",
        preferred_name: str = "",
        pronouns: str = "",
        gender_identity: str = "",
        phone: str = "",
        payer_code: str | None = None,
        member_id: str = "",
        site_code: str | None = None,
        mrn: str | None = None,
        allow_duplicate: bool = False,
    ) -> tuple[ClientSummary, Changes]:
        """Register a client and assign an MRN (site code + number) unless one is given.

        Raises ValidationError naming the field: blank name, future date of birth, unknown sex,
        payer or site, an MRN already in use; PossibleDuplicate when a client with the same name
        and date of birth exists (register again with allow_duplicate=True after checking).
        """
        self.actor.require("client.write")
        first = required_text(legal_first, "legal_first", "Legal first name", max_length=100)
        last = required_text(legal_last, "legal_last", "Legal last name", max_length=100)
        born = date_of_birth(dob)
        sex = (sex or "U").upper()
        if sex not in SEXES:
            raise ValidationError(f"Sex: use one of {', '.join(SEXES)}.", field="sex")
        given_mrn = (mrn or "").strip().upper()
        with self.db.atomic():
            if given_mrn and Client.select().where(Client.mrn == given_mrn).exists():
                raise ValidationError(f"MRN: {given_mrn} already belongs to another client.", field="mrn")
            if not allow_duplicate:
                matches = self.find_duplicates(first, last, born)
                if matches:
                    raise PossibleDuplicate(
                        f"A client named {first} {last} born {date_text(born)} is already registered "
                        f"(MRN {', '.join(matches)}). Open that chart, or confirm this is a different person.",
                        matches,
                    )
            site = self._site(site_code)
            payer = None
            if payer_code:
                payer = Payer.get_or_none(Payer.code == payer_code)
                if payer is None:
                    raise ValidationError(f"Payer: no payer with code {payer_code!r}.", field="payer")
            client = Client.create(
                mrn=given_mrn or self._next_mrn(site), legal_first=first, legal_last=last,
                preferred_name=bounded_text(preferred_name, "preferred_name", "Preferred name", NAME), dob=born,
                sex=sex, gender_identity=bounded_text(gender_identity, "gender_identity", "Gender identity", NAME),
                pronouns=bounded_text(pronouns, "pronouns", "Pronouns", NAME),
                phone=bounded_text(phone, "phone", "Phone", NAME), payer=payer,
                member_id=bounded_text(member_id, "member_id", "Member ID", NAME), site=site,
            )
            self._audit("create", "client", client.id, client_id=client.id)
        _keep_out_of_logs(first, last, client.preferred_name, client.mrn, born)
        return self.summary(client.id, audit_read=False), Changes.of("client", client_id=client.id)

    def find_duplicates(self, legal_first: str, legal_last: str, dob: dt.date | str) -> list[str]:
        """MRNs of clients with the same legal name (any case) and date of birth."""
        self.actor.require("chart.read")
        born = date_of_birth(dob)
        query = Client.select(Client.mrn).where(
            (peewee.fn.LOWER(Client.legal_last) == legal_last.strip().lower())
            & (peewee.fn.LOWER(Client.legal_first) == legal_first.strip().lower())
            & (Client.dob == born)
            & Client.merged_into.is_null()
        )
        return [row.mrn for row in query]

    def summary(self, client_id: str | uuid.UUID, *, audit_read: bool = True) -> ClientSummary:
        """The chart header of one client; opening it is recorded in the audit trail."""
        self.actor.require("chart.read")
        cid = client_uuid(client_id)
        row = (
            Client.select(Client, Payer, Site)
            .join(Payer, peewee.JOIN.LEFT_OUTER)
            .switch(Client)
            .join(Site)
            .where(Client.id == cid)
            .first()
        )
        if row is None:
            raise NotFound(f"No client with id {client_id}.")
        episode = (
            Episode.select(Episode.status)
            .where(Episode.client == cid)
            .order_by(Episode.admitted_on.desc())
            .first()
        )
        if audit_read:
            with self.db.atomic():
                self._audit("read", "client", cid, client_id=cid)
        _keep_out_of_logs(row.legal_first, row.legal_last, row.preferred_name, row.mrn, row.dob)
        return ClientSummary(
            id=str(row.id), mrn=row.mrn, legal_name=f"{row.legal_first} {row.legal_last}",
            preferred_name=row.preferred_name, dob=row.dob, sex=row.sex, pronouns=row.pronouns,
            payer=row.payer.name if row.payer_id else "", member_id=row.member_id,
            site_code=row.site.code, episode_status=episode.status if episode else "registered",
        )

    def named(self, client_ids: list[str]) -> list[ClientSearchRow]:
        """Identifiers and names of these clients, in the order given, in one query (for lists
        such as recently opened charts); ids that are malformed or no longer exist are left out, a
        client merged into another chart is that chart (once). Not a chart read: nothing is audited."""
        self.actor.require("chart.read")
        wanted = []
        for client_id in client_ids:
            try:
                wanted.append(client_uuid(client_id))
            except (ValueError, IopDeskError):
                continue
        if not wanted:
            return []
        rows = {}
        for cid, mrn, first, last, preferred, dob, merged_into in (
                Client.select(Client.id, Client.mrn, Client.legal_first, Client.legal_last,
                              Client.preferred_name, Client.dob, Client.merged_into)
                .where(Client.id.in_(wanted)).tuples()):
            if merged_into is not None:
                rows[cid] = self.by_mrn(mrn)
                continue
            _keep_out_of_logs(first, last, preferred, mrn, dob)
            rows[cid] = ClientSearchRow(str(cid), mrn, f"{first} {last}", preferred, dob)
        found = [rows[cid] for cid in wanted if cid in rows]
        return [row for number, row in enumerate(found) if all(row.id != other.id for other in found[:number])]

    def by_mrn(self, mrn: str) -> ClientSearchRow:
        """The client with this MRN; an MRN merged into another chart finds that chart, with
        `merged_from` saying so (old printouts carry the merged-away MRN)."""
        self.actor.require("chart.read")
        row = Client.select().where(Client.mrn == (mrn or "").strip().upper()).first()
        if row is None:
            raise NotFound(f"No client with MRN {mrn!r}.", field="mrn")
        merged_from = ""
        seen = {row.id}
        while row.merged_into_id is not None and row.merged_into_id not in seen:
            merged_from = merged_from or row.mrn
            seen.add(row.merged_into_id)
            row = Client.get_by_id(row.merged_into_id)
        _keep_out_of_logs(row.legal_first, row.legal_last, row.preferred_name, row.mrn, row.dob)
        return ClientSearchRow(str(row.id), row.mrn, f"{row.legal_first} {row.legal_last}", row.preferred_name,
                               row.dob, merged_from)

    def count(self) -> int:
        self.actor.require("chart.read")
        return Client.select().count()

    def search(self, text: str, *, limit: int = 50) -> list[ClientSearchRow]:
        """Clients matching what was typed: a date of birth, an MRN, or the start of names.

        "gar" finds Garcia and Gareth (last, first or preferred name); "mar gar" finds first
        names starting "mar" with last names starting "gar"; "MAIN-0001" or "0001" finds MRNs;
        "04/12/1991" finds a date of birth. Sorted by last, first name; at most `limit` rows.
        Returns identifiers and names only; opening a chart is the audited read.
        """
        self.actor.require("chart.read")
        words = (text or "").strip().split()
        if not words:
            return []
        query = Client.select(Client.id, Client.mrn, Client.legal_first, Client.legal_last,
                              Client.preferred_name, Client.dob, Client.merged_into)
        born = _parse_date(words[0]) if len(words) == 1 else None
        db = self.db.obj if hasattr(self.db, "obj") else self.db
        if born is not None:
            query = query.where(Client.dob == born)
        elif len(words) == 1 and any(ch.isdigit() for ch in words[0]) and _MRN_RE.match(words[0]):
            token = words[0].upper()
            prefixes = [token]
            if token.isdigit():  # "00012" means that number at any site
                prefixes = [f"{code}-{token}" for code in Site.select(Site.code).tuples().scalars()]
            condition = None
            for prefix in prefixes:  # MRNs are stored upper-case: a range uses the unique index
                part = (Client.mrn >= prefix) & (Client.mrn < prefix + "\uffff")
                condition = part if condition is None else condition | part
            query = query.where(condition) if condition is not None else query.where(False)
        else:
            first = words[0]
            if len(words) == 1:
                query = query.where(
                    prefix_match(Client.legal_last, first, db)
                    | prefix_match(Client.legal_first, first, db)
                    | prefix_match(Client.preferred_name, first, db)
                )
            else:
                last = " ".join(words[1:])
                query = query.where(
                    (prefix_match(Client.legal_first, first, db) | prefix_match(Client.preferred_name, first, db))
                    & prefix_match(Client.legal_last, last, db)
                )
        query = query.order_by(Client.legal_last, Client.legal_first, Client.mrn).limit(limit).tuples()
        found: list[ClientSearchRow] = []
        for cid, mrn, first, last, preferred, dob, merged_into in query:
            if merged_into is not None:
                row = self.by_mrn(mrn)
                if all(other.id != row.id for other in found):
                    found.append(row)
                continue
            if any(other.id == str(cid) for other in found):
                continue
            _keep_out_of_logs(first, last, preferred, mrn, dob)
            found.append(ClientSearchRow(str(cid), mrn, f"{first} {last}", preferred, dob))
        return found

    def _site(self, site_code: str | None) -> Site:
        if site_code:
            site = Site.get_or_none(Site.code == site_code)
            if site is None:
                raise ValidationError(f"Site: no site with code {site_code!r}.", field="site")
            return site
        return self._clinic.site

    def _next_mrn(self, site: Site) -> str:
        """The next MRN of `site`: for this database's own site under its incarnation's prefix
        (iopdesk/sync/incarnation.py has the scheme), so a restored copy never repeats one."""
        prefix = incarnation.mrn_prefix(site.code) if site.id == self._clinic.site.id else f"{site.code}-"
        last = (  # only "<prefix><digits>": ":" follows "9", and an MRN tag starts with a letter
            Client.select(Client.mrn)
            .where((Client.mrn >= f"{prefix}0") & (Client.mrn < f"{prefix}:"))
            .order_by(Client.mrn.desc())
            .first()
        )
        number = int(re.sub(r"\D", "", last.mrn[len(prefix):]) or 0) + 1 if last else 1
        return f"{prefix}{number:06d}"
