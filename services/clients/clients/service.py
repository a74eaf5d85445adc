"""The clients nameko service: a thin shell over the domain modules."""
from nameko.dependency_providers import Config

from proofsheet_shared.cluster import ClusterRpc
from proofsheet_shared.context import CallerIdentity
from proofsheet_shared.db import Database
from proofsheet_shared.entrypoints import rpc
from proofsheet_shared import studio as studio_settings

from . import family, lookups, numbering, records, search
from .models import Base

READ, WRITE, DELETE, CONFIGURE = "clients.read", "clients.write", "clients.delete", "clients.configure"


class ClientsService(studio_settings.StudioSettingsMixin):
    name = "clients"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    cluster = ClusterRpc()
    config = Config()

    def _today(self):
        return studio_settings.studio_today(self.studio)

    @rpc
    def ping(self):
        return "pong"

    # clients
    @rpc
    def create_client(self, payload):
        self.caller.require(WRITE)
        return records.create_client(self.db, payload, self.caller.user_id, self._today())

    @rpc
    def update_client(self, client_id, payload):
        self.caller.require(WRITE)
        return records.update_client(self.db, client_id, payload, self.caller.user_id, self._today())

    @rpc
    def get_client(self, client_id):
        self.caller.require(READ)
        with self.db.reading() as connection:
            return records.get_client(connection, client_id, self._today())

    @rpc
    def get_clients(self, client_ids):
        self.caller.require(READ)
        return records.get_clients(self.db.session, client_ids, self._today())

    @rpc
    def search_clients(self, args):
        self.caller.require(READ)
        return search.search_clients(self.db.session, args, self._today())

    @rpc
    def delete_client(self, client_id):
        self.caller.require(DELETE)
        records.get_live_client(self.db.session, client_id)
        references = {service: getattr(self.cluster, service).client_references(client_id)
                      for service in self._reference_services()}
        return records.delete_client(self.db, client_id, self.caller.user_id, references)

    def _reference_services(self):
        configured = self.config.get("CLIENT_REFERENCE_SERVICES") or ""
        if isinstance(configured, str):
            configured = configured.split(",")
        return [s.strip() for s in configured if s and s.strip()]

    # family members
    @rpc
    def list_family_members(self, client_id):
        self.caller.require(READ)
        return family.list_family_members(self.db.session, client_id)

    @rpc
    def add_family_member(self, client_id, payload):
        self.caller.require(WRITE)
        return family.add_family_member(self.db, client_id, payload)

    @rpc
    def update_family_member(self, client_id, member_id, payload):
        self.caller.require(WRITE)
        return family.update_family_member(self.db, client_id, member_id, payload)

    @rpc
    def delete_family_member(self, client_id, member_id):
        self.caller.require(WRITE)
        return family.delete_family_member(self.db, client_id, member_id)

    # lookups
    @rpc
    def list_lookups(self, kind):
        self.caller.require(READ)
        return {"items": lookups.list_lookups(self.db.session, kind), "next_cursor": None}

    @rpc
    def create_lookup(self, kind, payload):
        self.caller.require(CONFIGURE)
        return lookups.create_lookup(self.db.session, kind, payload)

    @rpc
    def update_lookup(self, kind, lookup_id, payload):
        self.caller.require(CONFIGURE)
        return lookups.update_lookup(self.db.session, kind, lookup_id, payload)

    @rpc
    def delete_lookup(self, kind, lookup_id):
        self.caller.require(CONFIGURE)
        return lookups.delete_lookup(self.db.session, kind, lookup_id)

    # numbering settings
    @rpc
    def get_settings(self):
        self.caller.require(READ)
        return numbering.settings_to_dict(numbering.get_settings(self.db.session))

    @rpc
    def update_settings(self, payload):
        self.caller.require(CONFIGURE)
        return numbering.update_settings(self.db.session, payload)
