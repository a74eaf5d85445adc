"""The tasks nameko service: a thin shell over the domain modules."""
from proofsheet_shared import studio as studio_settings
from proofsheet_shared.cluster import ClusterRpc
from proofsheet_shared.context import CallerIdentity
from proofsheet_shared.entrypoints import rpc
from proofsheet_shared.outbox_bulk import BulkDispatchDatabase

from . import advance, listing, records, references, task_types
from .links import ClusterLinks
from .models import Base

READ, WRITE, CONFIGURE = "tasks.read", "tasks.write", "tasks.configure"


class TasksService(studio_settings.StudioSettingsMixin):
    name = "tasks"

    # a bulk advance's thousands of events are published after the reply (see outbox_bulk)
    db = BulkDispatchDatabase(Base.metadata)
    caller = CallerIdentity()
    cluster = ClusterRpc()

    def _today(self):
        return studio_settings.studio_today(self.studio)

    @rpc
    def ping(self):
        return "pong"

    # tasks
    @rpc
    def create_task(self, payload):
        """Create a task for a user (the gateway); staff and client ids are checked."""
        self.caller.require(WRITE)
        return records.create_task(self.db, payload, self.caller.user_id, ClusterLinks(self.cluster),
                                   self._today())

    @rpc
    def create_task_for_service(self, payload, source, dedupe_key=None):
        """For other services (the communications service's triggers): create a task without a
        user permission. ``source`` (e.g. ``"communications.trigger:12"``) is kept on the task;
        the same ``dedupe_key`` twice returns the first task. The assignee is checked; the
        client id is trusted, as it comes from the calling service's own records."""
        return records.create_task_for_service(self.db, payload, self.caller.user_id,
                                               ClusterLinks(self.cluster, trust_clients=True), self._today(),
                                               source, dedupe_key)

    @rpc
    def get_task(self, task_id):
        self.caller.require(READ)
        return records.get_task(self.db.session, task_id, self._today())

    @rpc
    def list_tasks(self, args):
        """The hub's hot path: one statement on an autocommit read connection."""
        self.caller.require(READ)
        with self.db.reading() as connection:
            return listing.list_tasks(connection, args, self._today())

    @rpc
    def update_task(self, task_id, payload):
        self.caller.require(WRITE)
        return records.update_task(self.db, task_id, payload, self.caller.user_id, ClusterLinks(self.cluster),
                                   self._today())

    @rpc
    def delete_task(self, task_id):
        self.caller.require(WRITE)
        return records.delete_task(self.db, task_id, self.caller.user_id)

    @rpc
    def advance_status(self, payload):
        self.caller.require(WRITE)
        return advance.advance_status(self.db, payload, self.caller.user_id)

    # for other services: open tasks that hold a record (asked before deleting it)
    @rpc
    def count_open_tasks(self, record_type, record_id):
        return references.count_open_tasks(self.db.session, record_type, record_id)

    @rpc
    def client_references(self, client_id):
        return references.references(self.db.session, "client", client_id)

    @rpc
    def session_references(self, session_id):
        return references.references(self.db.session, "session", session_id)

    @rpc
    def invoice_references(self, invoice_id):
        return references.references(self.db.session, "invoice", invoice_id)

    # task types and statuses
    @rpc
    def list_task_types(self):
        self.caller.require(READ)
        return task_types.list_types(self.db.session)

    @rpc
    def get_task_type(self, type_id):
        self.caller.require(READ)
        return task_types.get_type_dict(self.db.session, type_id)

    @rpc
    def create_task_type(self, payload):
        self.caller.require(CONFIGURE)
        return task_types.create_type(self.db.session, payload)

    @rpc
    def update_task_type(self, type_id, payload):
        self.caller.require(CONFIGURE)
        return task_types.update_type(self.db.session, type_id, payload)

    @rpc
    def delete_task_type(self, type_id):
        self.caller.require(CONFIGURE)
        return task_types.delete_type(self.db.session, type_id)

    @rpc
    def list_task_statuses(self, args=None):
        self.caller.require(READ)
        return task_types.list_statuses(self.db.session, args)

    @rpc
    def create_task_status(self, payload):
        self.caller.require(CONFIGURE)
        return task_types.create_status(self.db.session, payload)

    @rpc
    def update_task_status(self, status_id, payload):
        self.caller.require(CONFIGURE)
        return task_types.update_status(self.db.session, status_id, payload)

    @rpc
    def delete_task_status(self, status_id):
        self.caller.require(CONFIGURE)
        return task_types.delete_status(self.db.session, status_id)
