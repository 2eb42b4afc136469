"""`Storage`: every repository over one database, sharing a clock and the auth change listener."""

from __future__ import annotations

from llmrelay.storage.database import Database
from llmrelay.storage.repos.audit import AuditRepository
from llmrelay.storage.repos.base import ChangeListener, Clock, utc_now
from llmrelay.storage.repos.budgets import BudgetRepository
from llmrelay.storage.repos.changes import ChangeLogRepository
from llmrelay.storage.repos.files import FileRepository
from llmrelay.storage.repos.keys import KeyRepository
from llmrelay.storage.repos.models import CredentialRepository, ModelRepository
from llmrelay.storage.repos.organizations import OrganizationRepository
from llmrelay.storage.repos.principals import PrincipalRepository
from llmrelay.storage.repos.responses import ResponseRepository
from llmrelay.storage.repos.spend import SpendRepository
from llmrelay.storage.repos.teams import TeamRepository
from llmrelay.storage.repos.ui_sessions import UiSessionRepository
from llmrelay.storage.repos.users import UserRepository


class Storage:
    """`on_change` runs after each committed write that can change what a key may do (the auth
    cache's invalidation publisher plugs in here)."""

    def __init__(self, db: Database, *, clock: Clock = utc_now, on_change: ChangeListener | None = None):
        self.db = db
        self.keys = KeyRepository(db, clock=clock, on_change=on_change)
        self.users = UserRepository(db, clock=clock, on_change=on_change)
        self.teams = TeamRepository(db, clock=clock, on_change=on_change)
        self.organizations = OrganizationRepository(db, clock=clock, on_change=on_change)
        self.budgets = BudgetRepository(db, clock=clock, on_change=on_change)
        self.spend = SpendRepository(db, clock=clock, on_change=on_change)
        self.principals = PrincipalRepository(db, clock=clock, on_change=on_change)
        self.changes = ChangeLogRepository(db, clock=clock, on_change=on_change)
        self.audit = AuditRepository(db, clock=clock)
        self.files = FileRepository(db, clock=clock)
        self.responses = ResponseRepository(db, clock=clock)
        self.ui_sessions = UiSessionRepository(db, clock=clock)
        # models and credentials of the admin API (store_model_in_db)
        self.models = ModelRepository(db, clock=clock, on_change=on_change)
        self.credentials = CredentialRepository(db, clock=clock, on_change=on_change)

    def set_change_listener(self, on_change: ChangeListener | None) -> None:
        """Late binding, for a listener that needs the storage to exist first."""
        repos = (self.keys, self.users, self.teams, self.organizations, self.budgets, self.spend,
                 self.models, self.credentials)  # fmt: skip
        for repo in repos:
            repo._on_change = on_change

    async def close(self) -> None:
        await self.db.close()
