"""The invoicing API: settings, tax rates, price lists and items, invoices (and their PDFs),
credit memos, deposits, client balances and reports. The invoicing service validates again
and computes every amount."""
import base64

from flask import Response, request

from proofsheet_shared.contracts import invoicing as c
from proofsheet_shared.errors import ValidationError

from ..api import Api
from ..auth import rpc

api = Api("invoicing")
READ, WRITE, CONFIGURE = "invoicing.read", "invoicing.write", "invoicing.configure"
UNPROCESSABLE = {422: "unprocessable: a business rule refused it (the message says which)"}


# settings, tax rates, price lists -----------------------------------------------------------

@api.route("/settings/invoicing", "GET", "Invoice numbering, default tax rate and due days", "settings",
           response=c.InvoiceSettingsSchema, permission=READ)
def get_invoicing_settings():
    return rpc("invoicing", "get_settings")


@api.route("/settings/invoicing", "PATCH", "Change invoice numbering and defaults", "settings",
           body=c.InvoiceSettingsSchema, partial=True, response=c.InvoiceSettingsSchema, permission=CONFIGURE)
def patch_invoicing_settings(body):
    return rpc("invoicing", "update_settings", body)


@api.route("/tax-rates", "GET", "Tax rates", "price lists", permission=READ)
def get_tax_rates():
    return rpc("invoicing", "list_tax_rates")


@api.route("/tax-rates", "POST", "Add a tax rate (basis points: 825 = 8.25 %)", "price lists",
           body=c.TaxRateInSchema, response=c.TaxRateOutSchema, status=201, permission=CONFIGURE)
def post_tax_rate(body):
    return rpc("invoicing", "create_tax_rate", body)


@api.route("/tax-rates/<int:rate_id>", "PATCH", "Change a tax rate (invoices keep the rate they were "
           "computed with)", "price lists", body=c.TaxRateInSchema, partial=True, response=c.TaxRateOutSchema,
           permission=CONFIGURE)
def patch_tax_rate(rate_id, body):
    return rpc("invoicing", "update_tax_rate", rate_id, body)


@api.route("/price-lists", "GET", "Price lists with their groups", "price lists", permission=READ)
def get_price_lists():
    return rpc("invoicing", "list_price_lists")


@api.route("/price-lists", "POST", "Add a price list", "price lists", body=c.PriceListInSchema,
           response=c.PriceListOutSchema, status=201, permission=CONFIGURE)
def post_price_list(body):
    return rpc("invoicing", "create_price_list", body)


@api.route("/price-lists/<int:price_list_id>/groups", "GET", "The groups of a price list", "price lists",
           permission=READ)
def get_price_list_groups(price_list_id):
    return rpc("invoicing", "list_price_list_groups", price_list_id)


@api.route("/price-lists/<int:price_list_id>/groups", "POST", "Add a group to a price list", "price lists",
           body=c.PriceListGroupInSchema, response=c.PriceListGroupOutSchema, status=201,
           permission=CONFIGURE)
def post_price_list_group(price_list_id, body):
    return rpc("invoicing", "create_price_list_group", price_list_id, body)


@api.route("/price-list-items", "GET", "Price-list items (standard and promotional)", "price lists",
           query=c.PriceListItemArgs, response=c.PriceListItemPageSchema, permission=READ)
def get_price_list_items(args):
    return rpc("invoicing", "list_price_list_items", args)


@api.route("/price-list-items", "POST", "Add an item; a promotional item carries its promotion (coupon)",
           "price lists", body=c.PriceListItemInSchema, response=c.PriceListItemOutSchema, status=201,
           permission=CONFIGURE, extra_responses={409: "the code or coupon code is taken", **UNPROCESSABLE})
def post_price_list_item(body):
    return rpc("invoicing", "create_price_list_item", body)


@api.route("/price-list-items/<int:item_id>", "GET", "One price-list item", "price lists",
           response=c.PriceListItemOutSchema, permission=READ)
def get_price_list_item(item_id):
    return rpc("invoicing", "get_price_list_item", item_id)


@api.route("/price-list-items/<int:item_id>", "PATCH", "Change a price-list item", "price lists",
           body=c.PriceListItemInSchema, partial=True, response=c.PriceListItemOutSchema,
           permission=CONFIGURE,
           extra_responses={409: "the code or coupon code is taken", **UNPROCESSABLE})
def patch_price_list_item(item_id, body):
    return rpc("invoicing", "update_price_list_item", item_id, body)


# invoices -------------------------------------------------------------------------------------

@api.route("/invoices", "GET", "List invoices, newest first", "invoices", query=c.InvoiceListArgs,
           response=c.InvoicePageSchema, permission=READ)
def get_invoices(args):
    return rpc("invoicing", "list_invoices", args)


@api.route("/invoices", "POST", "Create an invoice: totals computed, a coupon applied, a number given",
           "invoices", body=c.InvoiceInSchema, response=c.InvoiceOutSchema, status=201, permission=WRITE,
           extra_responses=UNPROCESSABLE)
def post_invoice(body):
    return rpc("invoicing", "create_invoice", body)


@api.route("/invoices/<int:invoice_id>", "GET", "One invoice with its lines", "invoices",
           response=c.InvoiceOutSchema, permission=READ)
def get_invoice(invoice_id):
    return rpc("invoicing", "get_invoice", invoice_id)


@api.route("/invoices/<int:invoice_id>", "PATCH", "Change an invoice (amounts fixed once money is applied)",
           "invoices", body=c.InvoiceInSchema, partial=True, response=c.InvoiceOutSchema, permission=WRITE,
           extra_responses=UNPROCESSABLE)
def patch_invoice(invoice_id, body):
    return rpc("invoicing", "update_invoice", invoice_id, body)


@api.route("/invoices/<int:invoice_id>/void", "POST", "Void an invoice nothing is paid on (keeps its number)",
           "invoices", response=c.InvoiceOutSchema, permission=WRITE, extra_responses=UNPROCESSABLE)
def post_void_invoice(invoice_id):
    return rpc("invoicing", "void_invoice", invoice_id)


def _pdf(invoice_ids, filename):
    document = base64.b64decode(rpc("invoicing", "render_invoices_pdf", invoice_ids, timeout=60))
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@api.route("/invoices/<int:invoice_id>.pdf", "GET", "The printable invoice (application/pdf)", "invoices",
           permission=READ, content_type="application/pdf")
def get_invoice_pdf(invoice_id):
    return _pdf([invoice_id], f"invoice-{invoice_id}.pdf")


@api.route("/invoices/print.pdf", "GET", "Several invoices, one per page (application/pdf)", "invoices",
           query=c.InvoicePrintArgs, permission=READ, content_type="application/pdf")
def get_invoices_pdf(args):
    return _pdf(args["ids"], "invoices.pdf")


# credit memos, deposits, balances ---------------------------------------------------------------

@api.route("/credit-memos", "GET", "List credit memos, newest first", "credit memos",
           query=c.CreditMemoListArgs,
           response=c.CreditMemoPageSchema, permission=READ)
def get_credit_memos(args):
    return rpc("invoicing", "list_credit_memos", args)


@api.route("/credit-memos", "POST", "Create a credit memo (the only source of refunds)", "credit memos",
           body=c.CreditMemoInSchema, response=c.CreditMemoOutSchema, status=201, permission=WRITE,
           extra_responses=UNPROCESSABLE)
def post_credit_memo(body):
    return rpc("invoicing", "create_credit_memo", body)


@api.route("/credit-memos/<int:memo_id>", "GET", "One credit memo with what remains refundable",
           "credit memos", response=c.CreditMemoOutSchema, permission=READ)
def get_credit_memo(memo_id):
    return rpc("invoicing", "get_credit_memo", memo_id)


def _idempotency_key():
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 255):
        raise ValidationError("Idempotency-Key must be 1 to 255 characters",
                              {"Idempotency-Key": "1 to 255 characters"})
    return key


@api.route("/deposits/<int:payment_id>/apply", "POST", "Apply part or all of a deposit to an invoice "
           "(Idempotency-Key: a replay returns the first result)", "deposits", body=c.DepositApplySchema,
           response=c.DepositApplicationOutSchema, status=201, permission=WRITE,
           extra_responses={409: "the Idempotency-Key was used for another request", **UNPROCESSABLE})
def post_apply_deposit(payment_id, body):
    return rpc("invoicing", "apply_deposit", payment_id, body, _idempotency_key())


@api.route("/clients/<int:client_id>/balance", "GET", "What a client was invoiced, paid, credited, owes",
           "deposits", response=c.ClientBalanceSchema, permission=READ)
def get_client_balance(client_id):
    return rpc("invoicing", "get_client_balance", client_id)


@api.route("/clients/<int:client_id>/deposits", "GET", "A client's deposits not yet applied", "deposits",
           permission=READ)
def get_client_deposits(client_id):
    return rpc("invoicing", "unapplied_deposits", client_id)


# reports ----------------------------------------------------------------------------------------

@api.route("/reports/balances", "GET", "Every client owing money, largest balance first", "reports",
           response=c.BalancesReportSchema, permission=READ)
def get_balances_report():
    return rpc("invoicing", "report_balances", timeout=60)


@api.route("/reports/aging", "GET", "Open balances by days past due (current, 1-30, 31-60, 61-90, 90+)",
           "reports", query=c.AgingArgs, response=c.AgingReportSchema, permission=READ)
def get_aging_report(args):
    return rpc("invoicing", "report_aging", args, timeout=60)


@api.route("/reports/services", "GET", "What each client spent per item or session type (from, to)",
           "reports", query=c.ServicesReportArgs, response=c.ServicesReportSchema, permission=READ)
def get_services_report(args):
    return rpc("invoicing", "report_services", args, timeout=60)
