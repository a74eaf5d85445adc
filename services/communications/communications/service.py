"""The communications nameko service: a thin shell over the domain modules.

Background work runs in timer workers: campaign sending and auto trigger runs every second
(:mod:`communications.sender`, :func:`communications.triggers.execute_pending`), date triggers
every ``COMMUNICATIONS_TRIGGER_SCAN_SECONDS``. Timer and event-handler workers act for the
service itself (every permission, see :class:`BackgroundIdentity`) when they ask other
services for clients, sessions and invoices; RPCs act as their caller.
"""

import base64
import os

from eventlet import tpool
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import timer

from proofsheet_shared import studio as studio_settings
from proofsheet_shared.cluster import ClusterRpc
from proofsheet_shared.context import PERMISSIONS, CallerIdentity
from proofsheet_shared.db import Database
from proofsheet_shared.entrypoints import event_handler, rpc
from proofsheet_shared.errors import ValidationError
from proofsheet_shared.schemas import load

from . import (
    blocklist,
    campaigns,
    email_templates,
    letters,
    log as comm_log,
    mailer,
    merge,
    rendering,
    settings as email_settings,
    triggers,
)
from .models import Base, FormLetter
from .sender import CampaignSender

READ, WRITE, CONFIGURE = "communications.read", "communications.write", "communications.configure"
PRINT_MAX = 500
SEND_TICK = float(os.environ.get("COMMUNICATIONS_SEND_TICK_SECONDS") or 1.0)
SCAN_TICK = float(os.environ.get("COMMUNICATIONS_TRIGGER_SCAN_SECONDS") or 300.0)


class BackgroundIdentity(DependencyProvider):
    """Timer and event-handler workers ask other services as the communications service itself:
    every permission (the user who caused an event, if any, stays as ``user_id``). RPC workers
    keep their caller's identity."""

    def get_dependency(self, worker_ctx):
        if not isinstance(worker_ctx.entrypoint, Rpc):
            worker_ctx.data[PERMISSIONS] = ["*"]
        return None


class Sender(DependencyProvider):
    """The instance's :class:`~communications.sender.CampaignSender`, on the service's engine."""

    def start(self):
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.sender = CampaignSender(database.engine, self.container.config)

    def stop(self):
        if getattr(self, "sender", None) is not None:
            self.sender.stopping = True

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.sender


def _record_ids(value):
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, str):
        value = value.split(",")
    try:
        ids = [int(str(v).strip()) for v in value or [] if str(v).strip()]
    except ValueError:
        raise ValidationError(
            "record_id must be ids separated by commas", {"record_id": "not a list of ids"}
        ) from None
    if not ids or any(i < 1 for i in ids):
        raise ValidationError("give at least one record id", {"record_id": "required"})
    if len(ids) > PRINT_MAX:
        raise ValidationError(f"at most {PRINT_MAX} records at once", {"record_id": f"more than {PRINT_MAX}"})
    return list(dict.fromkeys(ids))


class CommunicationsService(studio_settings.StudioSettingsMixin):
    name = "communications"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    cluster = ClusterRpc()
    background = BackgroundIdentity()
    sender = Sender()

    def _today(self):
        return studio_settings.studio_today(self.studio)

    def _records(self):
        return merge.Records(self.cluster, self.db.session, self.studio.get())

    def _sending_settings(self):
        values = email_settings.sending_settings(self.db.session)
        values["public_url"] = self.sender.public_url
        return values

    def _executor(self, user_id=None):
        return triggers.Executor(
            self.db.session,
            self._records(),
            self.cluster,
            self._sending_settings(),
            self._today(),
            user_id,
            float(self.sender.smtp_timeout),
        )

    @rpc
    def ping(self):
        return "pong"

    # email settings
    @rpc
    def get_settings(self):
        self.caller.require(CONFIGURE)
        return email_settings.get_settings(self.db.session)

    @rpc
    def update_settings(self, payload):
        self.caller.require(CONFIGURE)
        return email_settings.update_settings(self.db.session, payload, self.caller.user_id)

    @rpc
    def send_test(self, payload):
        """Send a test message with the saved settings: ``{"ok": true}`` or the SMTP error in plain words."""
        self.caller.require(CONFIGURE)
        from proofsheet_shared.contracts.communications import EmailTestSchema

        data = load(EmailTestSchema(), payload)
        values = self._sending_settings()
        self.db.session.rollback()
        problem = email_settings.ready_problem(values)
        if problem:
            return {"ok": False, "error": problem}
        studio_name = self.studio.get().get("name") or "Proofsheet"
        html = f"<p>This is a test message from {_escape(studio_name)}: your email settings work.</p>"
        text = f"This is a test message from {studio_name}: your email settings work.\n"
        msg_id = mailer.message_id("test", os.urandom(8).hex(), mailer.domain_of(values["from_address"]))
        message, _headers = mailer.build_message(
            values, data["to"], f"Test message from {studio_name}", html, text, msg_id
        )
        connection = mailer.Connection(
            values, values.get("password"), timeout=float(self.sender.smtp_timeout)
        )
        try:
            connection.send(values["from_address"], data["to"], message)
        except mailer.SendFailure as exc:
            return {"ok": False, "error": exc.message}
        finally:
            connection.close()
        return {"ok": True, "error": None}

    # email templates
    @rpc
    def list_templates(self):
        self.caller.require(READ)
        return email_templates.list_templates(self.db.session)

    @rpc
    def get_template(self, template_id):
        self.caller.require(READ)
        return email_templates.get_template(self.db.session, template_id)

    @rpc
    def create_template(self, payload):
        self.caller.require(WRITE)
        return email_templates.create_template(self.db.session, payload, self.caller.user_id)

    @rpc
    def update_template(self, template_id, payload):
        self.caller.require(WRITE)
        return email_templates.update_template(self.db.session, template_id, payload, self.caller.user_id)

    @rpc
    def delete_template(self, template_id):
        self.caller.require(WRITE)
        return email_templates.delete_template(self.db.session, template_id)

    @rpc
    def preview_template(self, template_id, payload):
        """The template rendered for a record: ``{"subject", "html", "text"}`` (nothing is sent)."""
        self.caller.require(READ)
        from proofsheet_shared.contracts.communications import PreviewInSchema

        data = load(PreviewInSchema(), payload)
        template = email_templates.get_row(self.db.session, template_id)
        context = self._records().context(data["record_type"], data["record_id"])
        context["unsubscribe_url"] = "#unsubscribe-link-preview"
        try:
            subject, html, text = rendering.render_email(template.subject, template.html, context)
        except rendering.RenderError as exc:
            raise ValidationError(str(exc), {"record_type": str(exc)}) from None
        return {"subject": subject, "html": html, "text": text}

    # form letters
    @rpc
    def list_form_letters(self):
        self.caller.require(READ)
        return letters.list_letters(self.db.session)

    @rpc
    def get_form_letter(self, letter_id):
        self.caller.require(READ)
        from .serialize import letter_to_dict

        return letter_to_dict(letters.get_row(self.db.session, letter_id))

    @rpc
    def create_form_letter(self, payload):
        self.caller.require(WRITE)
        return letters.create_letter(self.db.session, payload, self.caller.user_id)

    @rpc
    def update_form_letter(self, letter_id, payload):
        self.caller.require(WRITE)
        return letters.update_letter(self.db.session, letter_id, payload, self.caller.user_id)

    @rpc
    def render_form_letter(self, letter_id, record_type=None, record_ids=None):
        """One PDF (base64) with the letter for each record, one record a page; each client's
        log records a printed letter."""
        self.caller.require(READ)
        letter = letters.get_row(self.db.session, letter_id)
        record_type = record_type or letter.record_type
        if record_type not in rendering.RECORD_TYPES:
            raise ValidationError(
                "unknown record type", {"record_type": f"one of {', '.join(rendering.RECORD_TYPES)}"}
            )
        ids = _record_ids(record_ids)
        pdf = self._letters_pdf([(letter, record_type, i, None) for i in ids])
        return base64.b64encode(pdf).decode("ascii")

    def _letters_pdf(self, jobs):
        """``jobs``: ``(letter, record_type, record_id, trigger_id)``; the PDF, logged per client."""
        records = self._records()
        html_parts, entries = [], []
        for letter, record_type, record_id, trigger_id in jobs:
            context = records.context(record_type, record_id)
            try:
                html_parts.append(
                    f'<section class="letter">{rendering.render(letter.html, context)}</section>'
                )
            except rendering.RenderError as exc:
                raise ValidationError(str(exc), {"record_id": f"{record_type} {record_id}: {exc}"}) from None
            client_id = (context.get("client") or {}).get("id")
            entries.append(
                comm_log.entry(
                    client_id=client_id,
                    channel="letter",
                    subject=letter.name,
                    status="sent",
                    form_letter_id=letter.id,
                    trigger_id=trigger_id,
                    record_type=record_type,
                    record_id=record_id,
                    user_id=self.caller.user_id,
                )
            )
        document = letters.PAGE.format(title="Letters", sections="\n".join(html_parts))
        comm_log.write(self.db.session, entries)
        self.db.session.commit()  # the log first: WeasyPrint takes a while
        return tpool.execute(letters.render_pdf, document)

    # print queue
    @rpc
    def list_print_queue(self, args=None):
        self.caller.require(READ)
        return triggers.list_print_queue(self.db.session, args)

    @rpc
    def print_queue(self, payload=None):
        """The queued letters (all, or ``ids``) as one PDF (base64); they are marked printed."""
        self.caller.require(WRITE)
        from proofsheet_shared.contracts.communications import PrintRequestSchema

        data = load(PrintRequestSchema(), payload or {})
        items = triggers.queued_letters(self.db.session, data.get("ids"))
        if not items:
            raise ValidationError("no letters are waiting to be printed", {"ids": "nothing queued"})
        jobs = [
            (self.db.session.get(FormLetter, i.form_letter_id), i.record_type, i.record_id, i.trigger_id)
            for i in items
        ]
        triggers.mark_printed(self.db.session, items, self.caller.user_id)
        records = self._records()
        html_parts = [
            f'<section class="letter">{rendering.render(letter.html, records.context(rt, rid))}</section>'
            for letter, rt, rid, _t in jobs
        ]
        document = letters.PAGE.format(title="Letters", sections="\n".join(html_parts))
        self.db.session.commit()
        return base64.b64encode(tpool.execute(letters.render_pdf, document)).decode("ascii")

    # campaigns
    @rpc
    def create_campaign(self, payload):
        self.caller.require(WRITE)
        return campaigns.create_campaign(self.db.session, payload, self.caller.user_id, self.cluster)

    @rpc
    def list_campaigns(self, args=None):
        self.caller.require(READ)
        return campaigns.list_campaigns(self.db.session, args)

    @rpc
    def get_campaign(self, campaign_id):
        self.caller.require(READ)
        return campaigns.get_campaign(self.db.session, campaign_id)

    @rpc
    def list_campaign_recipients(self, campaign_id, args=None):
        self.caller.require(READ)
        return campaigns.list_recipients(self.db.session, campaign_id, args)

    @rpc
    def cancel_campaign(self, campaign_id):
        self.caller.require(WRITE)
        return campaigns.cancel_campaign(self.db.session, campaign_id, self.caller.user_id)

    # triggers
    @rpc
    def list_triggers(self):
        self.caller.require(READ)
        return triggers.list_triggers(self.db.session)

    @rpc
    def get_trigger(self, trigger_id):
        self.caller.require(READ)
        return triggers.get_trigger(self.db.session, trigger_id)

    @rpc
    def create_trigger(self, payload):
        self.caller.require(CONFIGURE)
        return triggers.create_trigger(self.db.session, payload, self.caller.user_id, self._today())

    @rpc
    def update_trigger(self, trigger_id, payload):
        self.caller.require(CONFIGURE)
        return triggers.update_trigger(self.db.session, trigger_id, payload, self._today())

    @rpc
    def delete_trigger(self, trigger_id):
        self.caller.require(CONFIGURE)
        return triggers.delete_trigger(self.db.session, trigger_id)

    @rpc
    def list_trigger_runs(self, args=None):
        self.caller.require(READ)
        return triggers.list_runs(self.db.session, args)

    @rpc
    def process_trigger_runs(self, payload):
        self.caller.require(WRITE)
        executor = self._executor(self.caller.user_id)
        try:
            return triggers.process_runs(self.db.session, payload, executor, self.caller.user_id)
        finally:
            executor.close()

    @rpc
    def scan_date_triggers(self):
        """Check the date triggers now (the timer does it every few minutes)."""
        self.caller.require(WRITE)
        return {"runs": triggers.scan_dates(self.db.session, self._today(), triggers.Lookups(self.cluster))}

    # block list and unsubscribe links
    @rpc
    def unsubscribe(self, token):
        """Anyone holding a signed link may block its address (the link is the proof)."""
        return blocklist.unsubscribe(self.db.session, token)

    @rpc
    def list_blocked(self, args=None):
        self.caller.require(READ)
        return blocklist.list_blocked(self.db.session, args)

    @rpc
    def add_blocked(self, payload):
        self.caller.require(WRITE)
        return blocklist.add_blocked(self.db.session, payload)

    @rpc
    def remove_blocked(self, address):
        self.caller.require(CONFIGURE)
        return blocklist.remove_blocked(self.db.session, address)

    # the communication log
    @rpc
    def list_client_communications(self, client_id, args=None):
        self.caller.require(READ)
        return comm_log.list_for_client(self.db.session, client_id, args)

    @rpc
    def get_communication(self, communication_id):
        self.caller.require(READ)
        return comm_log.get_communication(self.db.session, communication_id)

    @rpc
    def client_references(self, client_id):
        """Nothing here stops a client's deletion (the log is history)."""
        return {"blocking": 0}

    # background work
    @timer(interval=SEND_TICK)
    def send_tick(self):
        values = self._sending_settings()
        studio = self.studio.get()
        self.db.session.commit()
        self.sender.tick(values, studio)

    @timer(interval=SEND_TICK)
    def trigger_tick(self):
        """Auto trigger runs, beside campaign sending."""
        executor = self._executor()
        try:
            triggers.execute_pending(self.db.session, executor)
        finally:
            executor.close()

    @timer(interval=SEND_TICK)
    def resolve_tick(self):
        """Audiences still being resolved (big campaigns), a page at a time, beside the sending."""
        campaigns.resolve_pending(
            self.db.session, self.cluster, self.sender.instance, self.sender.claim_timeout
        )

    @timer(interval=SCAN_TICK)
    def scan_tick(self):
        triggers.scan_dates(self.db.session, self._today(), triggers.Lookups(self.cluster))

    # other services' facts
    def _learn_and_fire(self, source, event_type, envelope, trigger_event=None):
        data = envelope.get("data") or {}
        record = triggers.learn(self.db.session, source, event_type, data, self.studio.time_zone)
        if trigger_event:
            triggers.on_event(self.db.session, trigger_event, data, record, triggers.Lookups(self.cluster))

    @event_handler("clients", "client_created")
    def on_client_created(self, envelope):
        self._learn_and_fire("clients", "client_created", envelope)

    @event_handler("clients", "client_updated")
    def on_client_updated(self, envelope):
        self._learn_and_fire("clients", "client_updated", envelope)

    @event_handler("clients", "client_deleted")
    def on_client_deleted(self, envelope):
        self._learn_and_fire("clients", "client_deleted", envelope)

    @event_handler("clients", "client_status_changed")
    def on_client_status_changed(self, envelope):
        self._learn_and_fire("clients", "client_status_changed", envelope, "client_status_changed")

    @event_handler("scheduling", "session_created")
    def on_session_created(self, envelope):
        self._learn_and_fire("scheduling", "session_created", envelope, "session_created")

    @event_handler("scheduling", "session_updated")
    def on_session_updated(self, envelope):
        self._learn_and_fire("scheduling", "session_updated", envelope)

    @event_handler("scheduling", "session_status_changed")
    def on_session_status_changed(self, envelope):
        self._learn_and_fire("scheduling", "session_status_changed", envelope, "session_status_changed")

    @event_handler("scheduling", "session_cancelled")
    def on_session_cancelled(self, envelope):
        self._learn_and_fire("scheduling", "session_cancelled", envelope)

    @event_handler("invoicing", "invoice_created")
    def on_invoice_created(self, envelope):
        self._learn_and_fire("invoicing", "invoice_created", envelope, "invoice_created")

    @event_handler("invoicing", "invoice_updated")
    def on_invoice_updated(self, envelope):
        self._learn_and_fire("invoicing", "invoice_updated", envelope)

    @event_handler("invoicing", "invoice_paid")
    def on_invoice_paid(self, envelope):
        self._learn_and_fire("invoicing", "invoice_paid", envelope)

    @event_handler("invoicing", "invoice_voided")
    def on_invoice_voided(self, envelope):
        self._learn_and_fire("invoicing", "invoice_voided", envelope)

    @event_handler("payments", "payment_recorded")
    def on_payment_recorded(self, envelope):
        self._learn_and_fire("payments", "payment_recorded", envelope, "payment_recorded")

    @event_handler("payments", "payment_updated")
    def on_payment_updated(self, envelope):
        self._learn_and_fire("payments", "payment_updated", envelope)

    @event_handler("payments", "payment_voided")
    def on_payment_voided(self, envelope):
        self._learn_and_fire("payments", "payment_voided", envelope)

    @event_handler("tasks", "task_status_changed")
    def on_task_status_changed(self, envelope):
        self._learn_and_fire("tasks", "task_status_changed", envelope, "task_status_changed")


def _escape(text):
    from markupsafe import escape

    return str(escape(text))
