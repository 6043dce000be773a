"""What every service shares: the clinic it belongs to and the acting user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import audit
from ..permissions import Actor

if TYPE_CHECKING:
    from ..clinic import Clinic


class Service:
    def __init__(self, clinic: Clinic) -> None:
        self._clinic = clinic

    @property
    def actor(self) -> Actor:
        return self._clinic.actor

    @property
    def db(self):
        return self._clinic.db

    def _audit(self, action: str, entity: str, entity_id=None, *, client_id=None, detail=None):
        return audit.record(self.actor, action, entity, entity_id, client_id=client_id, detail=detail)
