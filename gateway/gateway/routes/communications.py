"""The communications API: email settings (and a test send), email templates and previews, form
letters and their PDFs, the print queue, campaigns (the Communication Wizard), triggers and their
runs, the block list and unsubscribe links, and the communication log."""

import base64

from flask import Response

from proofsheet_shared.contracts import communications as c
from proofsheet_shared.schemas import PageArgs

from ..api import Api
from ..auth import rpc

api = Api("communications")

READ, WRITE, CONFIGURE = "communications.read", "communications.write", "communications.configure"
# resolving a campaign's audience asks the clients service page by page; PDFs take a while too
LONG_TIMEOUT = 120
SEND_TIMEOUT = 60
UNPROCESSABLE = {422: "a business rule refused it"}


def _pdf(document_b64, filename):
    return Response(
        base64.b64decode(document_b64),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# settings -------------------------------------------------------------------------------------------


@api.route(
    "/settings/email",
    "GET",
    "The SMTP server, sender and campaign rate (the password is never returned: smtp_password_set)",
    "settings",
    response=c.EmailSettingsOutSchema,
    permission=CONFIGURE,
)
def get_email_settings():
    return rpc("communications", "get_settings")


@api.route(
    "/settings/email",
    "PATCH",
    "Change the email settings (smtp_password is write-only, stored encrypted)",
    "settings",
    body=c.EmailSettingsSchema,
    partial=True,
    response=c.EmailSettingsOutSchema,
    permission=CONFIGURE,
)
def patch_email_settings(body):
    return rpc("communications", "update_settings", body)


@api.route(
    "/settings/email/test",
    "POST",
    "Send a test message with the saved settings: ok, or the SMTP error in plain words",
    "settings",
    body=c.EmailTestSchema,
    response=c.EmailTestResultSchema,
    permission=CONFIGURE,
)
def post_email_test(body):
    return rpc("communications", "send_test", body, timeout=SEND_TIMEOUT)


# email templates ------------------------------------------------------------------------------------


@api.route(
    "/email-templates",
    "GET",
    "Email templates",
    "email templates",
    response=c.EmailTemplateListSchema,
    permission=READ,
)
def get_email_templates():
    return rpc("communications", "list_templates")


@api.route(
    "/email-templates",
    "POST",
    "Add an email template (Jinja2 merge fields such as {{ client.first_name }}; "
    "an unknown field or a template error is a 400 naming html or subject with its line)",
    "email templates",
    body=c.EmailTemplateInSchema,
    response=c.EmailTemplateOutSchema,
    status=201,
    permission=WRITE,
)
def post_email_template(body):
    return rpc("communications", "create_template", body)


@api.route(
    "/email-templates/<int:template_id>",
    "GET",
    "One email template",
    "email templates",
    response=c.EmailTemplateOutSchema,
    permission=READ,
)
def get_email_template(template_id):
    return rpc("communications", "get_template", template_id)


@api.route(
    "/email-templates/<int:template_id>",
    "PATCH",
    "Change an email template (checked like a new one)",
    "email templates",
    body=c.EmailTemplateInSchema,
    partial=True,
    response=c.EmailTemplateOutSchema,
    permission=WRITE,
)
def patch_email_template(template_id, body):
    return rpc("communications", "update_template", template_id, body)


@api.route(
    "/email-templates/<int:template_id>",
    "DELETE",
    "Remove an email template no trigger or campaign uses",
    "email templates",
    status=204,
    permission=WRITE,
    extra_responses={409: "in use"},
)
def delete_email_template(template_id):
    rpc("communications", "delete_template", template_id)
    return "", 204


@api.route(
    "/email-templates/<int:template_id>/preview",
    "POST",
    "The template rendered for a record: subject, HTML with CSS inlined, plain text (nothing is sent)",
    "email templates",
    body=c.PreviewInSchema,
    response=c.PreviewOutSchema,
    permission=READ,
)
def post_email_template_preview(template_id, body):
    return rpc("communications", "preview_template", template_id, body)


# form letters and the print queue -------------------------------------------------------------------


@api.route(
    "/form-letters",
    "GET",
    "Form letters (the built-in Photographer Job Sheet among them)",
    "form letters",
    response=c.FormLetterListSchema,
    permission=READ,
)
def get_form_letters():
    return rpc("communications", "list_form_letters")


@api.route(
    "/form-letters",
    "POST",
    "Add a form letter for a kind of record",
    "form letters",
    body=c.FormLetterInSchema,
    response=c.FormLetterOutSchema,
    status=201,
    permission=WRITE,
)
def post_form_letter(body):
    return rpc("communications", "create_form_letter", body)


@api.route(
    "/form-letters/<int:letter_id>",
    "GET",
    "One form letter",
    "form letters",
    response=c.FormLetterOutSchema,
    permission=READ,
)
def get_form_letter(letter_id):
    return rpc("communications", "get_form_letter", letter_id)


@api.route(
    "/form-letters/<int:letter_id>",
    "PATCH",
    "Change a form letter",
    "form letters",
    body=c.FormLetterInSchema,
    partial=True,
    response=c.FormLetterOutSchema,
    permission=WRITE,
)
def patch_form_letter(letter_id, body):
    return rpc("communications", "update_form_letter", letter_id, body)


@api.route(
    "/form-letters/<int:letter_id>/render.pdf",
    "GET",
    "The letter for one record, or one combined PDF "
    "for several (record_id=1,2,3), one a page (application/pdf)",
    "form letters",
    query=c.RenderArgs,
    permission=READ,
    content_type="application/pdf",
)
def get_form_letter_pdf(letter_id, args):
    document = rpc(
        "communications",
        "render_form_letter",
        letter_id,
        args.get("record_type"),
        args["record_id"],
        timeout=LONG_TIMEOUT,
    )
    return _pdf(document, f"letter-{letter_id}.pdf")


@api.route(
    "/print-queue",
    "GET",
    "Letters triggers put in the print queue",
    "form letters",
    query=c.PrintQueueArgs,
    response=c.PrintQueuePageSchema,
    permission=READ,
)
def get_print_queue(args):
    return rpc("communications", "list_print_queue", args)


@api.route(
    "/print-queue/print",
    "POST",
    "Print the queued letters (all, or ids): one PDF; they are marked printed and logged",
    "form letters",
    body=c.PrintRequestSchema,
    permission=WRITE,
    content_type="application/pdf",
)
def post_print_queue(body):
    return _pdf(rpc("communications", "print_queue", body, timeout=LONG_TIMEOUT), "letters.pdf")


# campaigns ------------------------------------------------------------------------------------------


@api.route(
    "/campaigns",
    "GET",
    "Campaigns, newest first, with their progress",
    "campaigns",
    query=PageArgs,
    response=c.CampaignPageSchema,
    permission=READ,
)
def get_campaigns(args):
    return rpc("communications", "list_campaigns", args)


@api.route(
    "/campaigns",
    "POST",
    "Send a template to an audience (the Communication Wizard): resolved at once, "
    "sent in the background; an audience matching nobody is a 422",
    "campaigns",
    body=c.CampaignInSchema,
    response=c.CampaignOutSchema,
    status=201,
    permission=WRITE,
    extra_responses=UNPROCESSABLE,
)
def post_campaign(body):
    return rpc("communications", "create_campaign", body, timeout=LONG_TIMEOUT)


@api.route(
    "/campaigns/<int:campaign_id>",
    "GET",
    "A campaign's progress: status, total, queued, sent, failed, skipped",
    "campaigns",
    response=c.CampaignOutSchema,
    permission=READ,
)
def get_campaign(campaign_id):
    return rpc("communications", "get_campaign", campaign_id)


@api.route(
    "/campaigns/<int:campaign_id>/recipients",
    "GET",
    "A campaign's recipients and what became of each",
    "campaigns",
    query=c.CampaignRecipientArgs,
    response=c.CampaignRecipientPageSchema,
    permission=READ,
)
def get_campaign_recipients(campaign_id, args):
    return rpc("communications", "list_campaign_recipients", campaign_id, args)


@api.route(
    "/campaigns/<int:campaign_id>/cancel",
    "POST",
    "Stop a campaign: recipients not yet sent are skipped",
    "campaigns",
    response=c.CampaignOutSchema,
    permission=WRITE,
    extra_responses=UNPROCESSABLE,
)
def post_campaign_cancel(campaign_id):
    return rpc("communications", "cancel_campaign", campaign_id)


# triggers -------------------------------------------------------------------------------------------


@api.route(
    "/triggers",
    "GET",
    "Triggers (automated communications)",
    "triggers",
    response=c.TriggerListSchema,
    permission=READ,
)
def get_triggers():
    return rpc("communications", "list_triggers")


@api.route(
    "/triggers",
    "POST",
    "Add a trigger: on an event or a date, optionally filtered, doing an email, a "
    "letter or a task, automatically or queued for staff",
    "triggers",
    body=c.TriggerInSchema,
    response=c.TriggerOutSchema,
    status=201,
    permission=CONFIGURE,
)
def post_trigger(body):
    return rpc("communications", "create_trigger", body)


@api.route(
    "/triggers/scan",
    "POST",
    "Check the date triggers now (also done every few minutes)",
    "triggers",
    response=c.ScanResultSchema,
    permission=WRITE,
)
def post_trigger_scan():
    return rpc("communications", "scan_date_triggers", timeout=LONG_TIMEOUT)


@api.route(
    "/triggers/<int:trigger_id>",
    "GET",
    "One trigger",
    "triggers",
    response=c.TriggerOutSchema,
    permission=READ,
)
def get_trigger(trigger_id):
    return rpc("communications", "get_trigger", trigger_id)


@api.route(
    "/triggers/<int:trigger_id>",
    "PATCH",
    "Change a trigger",
    "triggers",
    body=c.TriggerInSchema,
    partial=True,
    response=c.TriggerOutSchema,
    permission=CONFIGURE,
)
def patch_trigger(trigger_id, body):
    return rpc("communications", "update_trigger", trigger_id, body)


@api.route(
    "/triggers/<int:trigger_id>",
    "DELETE",
    "Remove a trigger and its runs",
    "triggers",
    status=204,
    permission=CONFIGURE,
)
def delete_trigger(trigger_id):
    rpc("communications", "delete_trigger", trigger_id)
    return "", 204


@api.route(
    "/trigger-runs",
    "GET",
    "Each time a trigger fired, newest first (status waiting = queued for staff)",
    "triggers",
    query=c.TriggerRunArgs,
    response=c.TriggerRunPageSchema,
    permission=READ,
)
def get_trigger_runs(args):
    return rpc("communications", "list_trigger_runs", args)


@api.route(
    "/trigger-runs/process",
    "POST",
    "Process or skip waiting runs (ids, or all: true)",
    "triggers",
    body=c.ProcessRunsSchema,
    response=c.ProcessRunsResultSchema,
    permission=WRITE,
)
def post_trigger_runs_process(body):
    return rpc("communications", "process_trigger_runs", body, timeout=LONG_TIMEOUT)


# block list and unsubscribe ---------------------------------------------------------------------------


@api.route(
    "/blocked-addresses",
    "GET",
    "Addresses never emailed again (bounced, unsubscribed)",
    "campaigns",
    query=PageArgs,
    response=c.BlockedAddressPageSchema,
    permission=READ,
)
def get_blocked(args):
    return rpc("communications", "list_blocked", args)


@api.route(
    "/blocked-addresses",
    "POST",
    "Block an address",
    "campaigns",
    body=c.BlockedAddressInSchema,
    response=c.BlockedAddressSchema,
    status=201,
    permission=WRITE,
)
def post_blocked(body):
    return rpc("communications", "add_blocked", body)


@api.route(
    "/blocked-addresses/<path:address>",
    "DELETE",
    "Unblock an address",
    "campaigns",
    status=204,
    permission=CONFIGURE,
)
def delete_blocked(address):
    rpc("communications", "remove_blocked", address)
    return "", 204


UNSUBSCRIBED_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribed</title>
</head><body style="font-family: sans-serif; max-width: 36em; margin: 4em auto;"><h1>You are unsubscribed</h1>
<p>We will not email {email} again.</p></body></html>"""


def _unsubscribe(token):
    from markupsafe import escape

    result = rpc("communications", "unsubscribe", token)
    return Response(UNSUBSCRIBED_PAGE.format(email=escape(result["email"])), mimetype="text/html")


@api.route(
    "/unsubscribe/<token>",
    "GET",
    "The link in every campaign email: blocks its address (public; the signed token is the proof)",
    "campaigns",
    public=True,
    content_type="text/html",
)
def get_unsubscribe(token):
    return _unsubscribe(token)


@api.route(
    "/unsubscribe/<token>",
    "POST",
    "One-click unsubscribe (RFC 8058 List-Unsubscribe-Post)",
    "campaigns",
    public=True,
    content_type="text/html",
)
def post_unsubscribe(token):
    return _unsubscribe(token)


# the communication log --------------------------------------------------------------------------------


@api.route(
    "/clients/<int:client_id>/communications",
    "GET",
    "A client's communications, newest first: emails sent, failed or skipped, letters printed",
    "communications",
    query=PageArgs,
    response=c.CommunicationPageSchema,
    permission=READ,
)
def get_client_communications(client_id, args):
    return rpc("communications", "list_client_communications", client_id, args)


@api.route(
    "/communications/<int:communication_id>",
    "GET",
    "One log entry with the message as sent (headers, html, text)",
    "communications",
    response=c.CommunicationDetailSchema,
    permission=READ,
)
def get_communication(communication_id):
    return rpc("communications", "get_communication", communication_id)
