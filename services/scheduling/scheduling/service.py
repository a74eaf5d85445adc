"""The scheduling nameko service: a thin shell over the domain modules."""

from nameko.dependency_providers import Config

from proofsheet_shared import studio as studio_settings
from proofsheet_shared.cluster import ClusterRpc
from proofsheet_shared.context import CallerIdentity
from proofsheet_shared.entrypoints import event_handler, rpc
from proofsheet_shared.errors import Forbidden, NotFound
from proofsheet_shared.outbox_bulk import BulkDispatchDatabase

from . import advance, appointments, calendar, lookups, sessions
from .links import ClusterLinks
from .models import Base
from .wizard import Wizard

READ, WRITE, CONFIGURE = "scheduling.read", "scheduling.write", "scheduling.configure"


class WizardRemote:
    """The invoicing and payments services, as the wizard's caller."""

    def __init__(self, cluster):
        self.cluster = cluster

    def create_invoice(self, payload):
        return self.cluster.invoicing.create_invoice(payload)

    def void_invoice(self, invoice_id):
        return self.cluster.invoicing.void_invoice(invoice_id)

    def get_invoice(self, invoice_id):
        return self.cluster.invoicing.get_invoice(invoice_id)

    def find_session_invoice(self, session_id):
        items = self.cluster.invoicing.list_invoices({"session_id": session_id, "limit": 10})["items"]
        live = [i for i in items if i.get("status") != "void"]
        return live[0] if live else None

    def create_payment(self, payload, idempotency_key):
        return self.cluster.payments.create_payment(payload, idempotency_key=idempotency_key)

    def get_payment(self, payment_id):
        return self.cluster.payments.get_payment(payment_id)


class SchedulingService(studio_settings.StudioSettingsMixin):
    name = "scheduling"

    # an advance of thousands of sessions publishes its events after the reply (see outbox_bulk)
    db = BulkDispatchDatabase(Base.metadata)
    caller = CallerIdentity()
    cluster = ClusterRpc()
    config = Config()

    def _tz(self):
        return self.studio.time_zone

    def _links(self):
        return ClusterLinks(self.cluster)

    @rpc
    def ping(self):
        return "pong"

    # settings
    @rpc
    def get_settings(self):
        self.caller.require(READ)
        return lookups.settings_to_dict(lookups.get_settings(self.db.session))

    @rpc
    def update_settings(self, payload):
        self.caller.require(CONFIGURE)
        return lookups.update_settings(self.db.session, payload)

    # session types and statuses
    @rpc
    def list_session_types(self):
        self.caller.require(READ)
        return lookups.list_types(self.db.session)

    @rpc
    def get_session_type(self, type_id):
        self.caller.require(READ)
        return lookups.type_to_dict(lookups.get_type(self.db.session, type_id))

    @rpc
    def create_session_type(self, payload):
        self.caller.require(CONFIGURE)
        return lookups.create_type(self.db.session, payload, self._links().check_price_items)

    @rpc
    def update_session_type(self, type_id, payload):
        self.caller.require(CONFIGURE)
        return lookups.update_type(self.db.session, type_id, payload, self._links().check_price_items)

    @rpc
    def delete_session_type(self, type_id):
        self.caller.require(CONFIGURE)
        return lookups.delete_type(self.db.session, type_id)

    @rpc
    def list_session_statuses(self):
        self.caller.require(READ)
        return lookups.list_statuses(self.db.session)

    @rpc
    def create_session_status(self, payload):
        self.caller.require(CONFIGURE)
        return lookups.create_status(self.db.session, payload)

    @rpc
    def update_session_status(self, status_id, payload):
        self.caller.require(CONFIGURE)
        return lookups.update_status(self.db.session, status_id, payload)

    @rpc
    def delete_session_status(self, status_id):
        self.caller.require(CONFIGURE)
        return lookups.delete_status(self.db.session, status_id)

    # sessions
    @rpc
    def create_session(self, payload):
        self.caller.require(WRITE)
        return sessions.create_session(self.db, payload, self.caller.user_id, self._links(), self._tz())

    @rpc
    def get_session(self, session_id):
        self.caller.require(READ)
        with self.db.reading() as connection:
            return sessions.get_session(connection, session_id, self._tz())

    @rpc
    def list_sessions(self, args):
        self.caller.require(READ)
        with self.db.reading() as connection:
            return sessions.list_sessions(connection, args, self._tz())

    @rpc
    def update_session(self, session_id, payload):
        self.caller.require(WRITE)
        return sessions.update_session(
            self.db, session_id, payload, self.caller.user_id, self._links(), self._tz()
        )

    @rpc
    def cancel_session(self, session_id, payload=None):
        self.caller.require(WRITE)
        return sessions.cancel_session(self.db, session_id, payload, self.caller.user_id, self._tz())

    @rpc
    def advance_status(self, payload):
        self.caller.require(WRITE)
        return advance.advance_status(self.db, payload, self.caller.user_id)

    # appointments
    @rpc
    def create_appointment(self, payload):
        self.caller.require(WRITE)
        return appointments.create_appointment(
            self.db, payload, self.caller.user_id, self._links(), self._tz()
        )

    @rpc
    def get_appointment(self, appointment_id):
        self.caller.require(READ)
        return appointments.get_appointment(self.db.session, appointment_id, self._tz())

    @rpc
    def list_appointments(self, args):
        self.caller.require(READ)
        return appointments.list_appointments(self.db.session, args, self._tz())

    @rpc
    def update_appointment(self, appointment_id, payload):
        self.caller.require(WRITE)
        return appointments.update_appointment(
            self.db, appointment_id, payload, self.caller.user_id, self._links(), self._tz()
        )

    @rpc
    def delete_appointment(self, appointment_id):
        self.caller.require(WRITE)
        return appointments.delete_appointment(self.db, appointment_id, self.caller.user_id, self._tz())

    # calendars
    @rpc
    def get_calendar(self, args):
        self.caller.require(READ)
        with self.db.reading() as connection:
            return calendar.calendar(connection, args, self._tz())

    def _feed_owner(self, staff_id):
        """The staff member themself, or someone who configures scheduling (an admin)."""
        if self.caller.user_id != staff_id and not self.caller.can(CONFIGURE):
            raise Forbidden(
                "only the staff member or an admin sees this calendar's feed address",
                {"permission": CONFIGURE},
            )
        if not self._links().staff({staff_id}):
            raise NotFound(f"there is no staff user {staff_id}", {"staff_id": "not found"})

    @rpc
    def get_feed_token(self, staff_id):
        self._feed_owner(staff_id)
        return {
            "staff_id": staff_id,
            "token": calendar.feed_token(self.db.session, staff_id, self.caller.user_id),
        }

    @rpc
    def rotate_feed_token(self, staff_id):
        self._feed_owner(staff_id)
        return {
            "staff_id": staff_id,
            "token": calendar.rotate_feed_token(self.db.session, staff_id, self.caller.user_id),
        }

    @rpc
    def ics_feed(self, staff_id, token):
        """The public feed: the token is the only credential (wrong or missing: NotFound)."""
        with self.db.reading() as connection:
            calendar.check_feed_token(connection, staff_id, token)
            staff = None
            try:
                staff = self._links().staff({staff_id}).get(staff_id)
            except Exception:  # noqa: BLE001 - the feed's name is a nicety; the feed is not
                staff = None
            return calendar.feed(
                connection,
                staff_id,
                token,
                self._tz(),
                studio_settings.studio_today(self.studio),
                int(self.config.get("FEED_DAYS_BEFORE", 92)),
                int(self.config.get("FEED_DAYS_AFTER", 273)),
                staff_name=(staff or {}).get("name"),
            )

    # the scheduling wizard
    @rpc
    def run_schedule_wizard(self, payload, idempotency_key=None):
        self.caller.require(WRITE)
        wizard = Wizard(
            self.db,
            self._links(),
            WizardRemote(self.cluster),
            self.caller.user_id,
            self._tz(),
            int(self.config.get("WIZARD_STALE_SECONDS", 120)),
        )
        return wizard.run(payload, idempotency_key)

    # questions other services ask
    @rpc
    def client_references(self, client_id):
        """What the clients service asks before deleting a client."""
        return sessions.client_references(self.db.session, client_id)

    @rpc
    def session_exists(self, session_id):
        with self.db.reading() as connection:
            try:
                sessions.get_session(connection, session_id, self._tz())
            except NotFound:
                return False
        return True

    # facts of other services
    @event_handler("clients", "client_updated")
    def on_client_updated(self, envelope):
        data = envelope.get("data") or {}
        client = data.get("client")
        changed = set(data.get("changed") or ())
        if client and changed & {"first_name", "last_name"}:
            sessions.rename_client(self.db.session, client)
