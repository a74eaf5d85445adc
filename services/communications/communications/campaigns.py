"""The Communication Wizard: a template sent to an audience of clients, in the background.

Creating a campaign resolves its audience once, in the creating transaction, into one
``campaign_recipients`` row per client: ``queued``, or ``skipped`` with the reason (no email
address, marketing not allowed, address blocked, same address as an earlier recipient). The
template's subject and HTML are copied onto the campaign, so editing the template later does
not change a campaign under way. An audience that matches nobody is refused and nothing is
stored.

Sending (:mod:`communications.sender`) claims queued rows, sends, and marks them; see there for
what happens when a sender dies mid-campaign.
"""

import datetime as dt
import logging

from sqlalchemy import func, insert, select, update

from proofsheet_shared.contracts.communications import CampaignInSchema
from proofsheet_shared.errors import DomainError, Unavailable, Unprocessable, ValidationError, not_found
from proofsheet_shared.schemas import PageArgs, decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from . import blocklist, email_templates, log as comm_log, rendering
from .merge import client_merge
from .models import Campaign, CampaignRecipient
from .serialize import ts

logger = logging.getLogger(__name__)

PAGE = 500
LIST_FILTERS = (
    ("status_ids", "status_id", "status_id"),
    ("group_ids", "group_id", "group_ids"),
    ("organization_ids", "organization_id", "organization_id"),
    ("lead_source_ids", "lead_source_id", "lead_source_id"),
)
MERGE_DROP = ("created_at", "updated_at", "notes", "custom_texts", "custom_dates", "secondary_contact")


# --- the audience ----------------------------------------------------------------------------------


def _matches(client, audience):
    for key, _arg, field in LIST_FILTERS:
        wanted = audience.get(key) or []
        if not wanted:
            continue
        value = client.get(field)
        if field == "group_ids":
            if not set(value or ()) & set(wanted):
                return False
        elif value not in wanted:
            return False
    return True


def _session_client_ids(cluster, audience):
    """Clients with a session in the date range, from ``scheduling.list_sessions`` pages."""
    args = {"limit": PAGE, "cancelled": False}
    if audience.get("session_from"):
        args["from"] = audience["session_from"]
    if audience.get("session_to"):
        args["to"] = audience["session_to"]
    ids, cursor = set(), None
    while True:
        try:
            page = cluster.scheduling.list_sessions(dict(args, cursor=cursor) if cursor else args)
        except DomainError as exc:
            if isinstance(exc, Unavailable):
                raise Unavailable(
                    "sessions in a date range need the scheduling service, which is not answering",
                    {"service": "scheduling"},
                ) from None
            raise
        except Exception as exc:  # noqa: BLE001 - the service is there but without this RPC yet
            raise Unavailable(
                f"the scheduling service cannot list sessions: {exc}", {"service": "scheduling"}
            ) from None
        ids |= {s.get("client_id") for s in page.get("items", []) if s.get("client_id")}
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


def _balance_client_ids(cluster, over):
    report = cluster.invoicing.report_balances()
    return {item["client_id"] for item in report.get("items", []) if (item.get("balance") or 0) > over}


def uses_ids(audience):
    """Audiences narrowed by ids (given, with sessions, owing) are read by id; others by search."""
    return bool(
        audience.get("client_ids")
        or audience.get("session_from")
        or audience.get("session_to")
        or audience.get("balance_over") is not None
    )


def id_pages(cluster, audience):
    """Pages (lists) of client dicts of an audience narrowed by ids."""
    ids = None
    if audience.get("client_ids"):
        ids = set(audience["client_ids"])
    if audience.get("session_from") or audience.get("session_to"):
        found = _session_client_ids(cluster, audience)
        ids = found if ids is None else ids & found
    if audience.get("balance_over") is not None:
        found = _balance_client_ids(cluster, audience["balance_over"])
        ids = found if ids is None else ids & found
    ordered = sorted(ids or ())
    for start in range(0, len(ordered), PAGE):
        yield [c for c in cluster.clients.get_clients(ordered[start : start + PAGE]) if _matches(c, audience)]


def search_page(cluster, audience, state):
    """One page of a search-driven audience from ``state`` (``{"value": i, "cursor": c}``: the
    i-th value of the first list filter given, and where its search goes on); the matching
    clients and the next state (None when done)."""
    driver = next(((key, arg) for key, arg, _f in LIST_FILTERS if audience.get(key)), None)
    values = audience[driver[0]] if driver else [None]
    index, cursor = state["value"], state.get("cursor")
    args = {"limit": PAGE}
    if driver:
        args[driver[1]] = values[index]
    if cursor:
        args["cursor"] = cursor
    page = cluster.clients.search_clients(args)
    following = page.get("next_cursor")
    if following:
        state = {"value": index, "cursor": following}
    elif index + 1 < len(values):
        state = {"value": index + 1, "cursor": None}
    else:
        state = None
    return [c for c in page["items"] if _matches(c, audience)], state


def add_recipients(session, campaign, clients, now):
    """One row per client not yet in the campaign (queued or skipped with why); how many."""
    clients = list({c["id"]: c for c in clients}.values())
    if not clients:
        return 0
    R = CampaignRecipient
    have = set(
        session.execute(
            select(R.client_id).where(
                R.campaign_id == campaign.id, R.client_id.in_([c["id"] for c in clients])
            )
        ).scalars()
    )
    clients = [c for c in clients if c["id"] not in have]
    firsts = [(c.get("emails") or [None])[0] for c in clients]
    addresses = [a for a in firsts if a]
    blocked = blocklist.blocked_among(session, addresses)
    taken = (
        {
            blocklist.key(a)
            for a in session.execute(
                select(R.email).where(R.campaign_id == campaign.id, R.email.in_(addresses))
            ).scalars()
        }
        if addresses
        else set()
    )
    rows, skipped_log = [], []
    for client, address in zip(clients, firsts):
        status, reason = "queued", None
        if not address:
            status, reason = "skipped", "no email address"
        elif campaign.marketing and not client.get("allow_marketing", True):
            status, reason = "skipped", "does not allow marketing"
        elif blocklist.key(address) in blocked:
            status, reason = "skipped", f"address blocked ({blocked[blocklist.key(address)]})"
        elif blocklist.key(address) in taken:
            status, reason = "skipped", "same address as another recipient"
        if address:
            taken.add(blocklist.key(address))
        rows.append(
            {
                "campaign_id": campaign.id,
                "client_id": client["id"],
                "email": address,
                "merge": _merge_data(client),
                "status": status,
                "reason": reason,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
        if status == "skipped":
            skipped_log.append(
                comm_log.entry(
                    client_id=client["id"],
                    channel="email",
                    subject=campaign.subject,
                    to_address=address,
                    status="skipped",
                    error=reason,
                    template_id=campaign.template_id,
                    campaign_id=campaign.id,
                    user_id=campaign.created_by,
                    record_type="client",
                    record_id=client["id"],
                )
            )
    if rows:
        session.execute(insert(CampaignRecipient), rows)
        comm_log.write(session, skipped_log)
    return len(rows)


def _audience(data):
    audience = dict(data.get("audience") or {})
    for key in ("session_from", "session_to"):
        if audience.get(key) is not None:
            audience[key] = audience[key].isoformat()
    for key, _a, _f in LIST_FILTERS:
        audience[key] = sorted(set(audience.get(key) or []))
    audience["client_ids"] = sorted(set(audience.get("client_ids") or []))
    return audience


def _merge_data(client):
    merged = client_merge(client)
    for name in MERGE_DROP:
        merged.pop(name, None)
    return merged


def create_campaign(session, payload, user_id, cluster):
    """Create a campaign and resolve its audience: all of it now when it is narrowed by ids, else
    until the first recipient is found, the rest in the background (status ``preparing``, see
    :func:`resolve_pending`) while sending has already begun."""
    data = load(CampaignInSchema(), payload)
    template = email_templates.get_row(session, data["template_id"], "template_id")
    extra = rendering.roots_used(template.subject, template.html) - {"client"}
    if extra:
        raise ValidationError(
            "a campaign is sent to clients: its template may use client and studio fields only",
            {"template_id": f"the template uses {', '.join(sorted(extra))} fields"},
        )
    marketing = template.marketing if data.get("marketing") is None else data["marketing"]
    audience = _audience(data)
    now = utcnow()
    campaign = Campaign(
        name=data["name"],
        template_id=template.id,
        marketing=marketing,
        audience=audience,
        subject=template.subject,
        html=template.html,
        status="preparing",
        total=0,
        created_at=now,
        created_by=user_id,
    )
    session.add(campaign)
    session.flush()
    total, state = 0, None
    if uses_ids(audience):
        for page in id_pages(cluster, audience):
            total += add_recipients(session, campaign, page, now)
    else:
        state = {"value": 0, "cursor": None}
        while state is not None and total == 0:
            page, state = search_page(cluster, audience, state)
            total += add_recipients(session, campaign, page, now)
    if total == 0:
        raise Unprocessable("no client matches this audience", {"audience": "no client matches"})
    campaign.total = total
    campaign.status = "preparing" if state is not None else "sending"
    campaign.resolve_state = state
    session.flush()
    return campaign_to_dict(session, campaign)


def resolve_pending(session, cluster, instance, claim_timeout=120.0, budget_seconds=60.0):
    """Go on resolving a ``preparing`` campaign's audience, a page a transaction, recording where
    the next page starts; a campaign whose resolver stopped (no progress for ``claim_timeout``
    seconds) is taken over. How many recipients were added."""
    import time
    import uuid

    token = f"{instance}-{uuid.uuid4().hex[:12]}"
    stale = utcnow() - dt.timedelta(seconds=claim_timeout)
    candidate = session.scalar(
        select(Campaign.id)
        .where(
            Campaign.status == "preparing",
            (Campaign.resolver_claim.is_(None)) | (Campaign.resolver_at < stale),
        )
        .order_by(Campaign.id)
        .limit(1)
    )
    if candidate is None:
        return 0
    claimed = session.execute(
        update(Campaign)
        .where(
            Campaign.id == candidate,
            Campaign.status == "preparing",
            (Campaign.resolver_claim.is_(None)) | (Campaign.resolver_at < stale),
        )
        .values(resolver_claim=token, resolver_at=utcnow())
    ).rowcount
    session.commit()
    if not claimed:
        return 0
    added, deadline = 0, time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        campaign = session.get(Campaign, candidate, populate_existing=True)
        if (
            campaign.status != "preparing"
            or campaign.resolver_claim != token
            or campaign.resolve_state is None
        ):
            session.rollback()
            break
        audience, state = campaign.audience, campaign.resolve_state
        session.rollback()  # no transaction open while the clients service is asked
        page, following = search_page(cluster, audience, state)
        campaign = session.get(Campaign, candidate, with_for_update=True, populate_existing=True)
        if campaign.status != "preparing" or campaign.resolver_claim != token:
            session.rollback()
            break
        count = add_recipients(session, campaign, page, utcnow())
        campaign.total += count
        campaign.resolve_state = following
        campaign.resolver_at = utcnow()
        if following is None:
            campaign.status, campaign.resolver_claim = "sending", None
        session.commit()
        added += count
        if following is None:
            break
    else:
        session.execute(
            update(Campaign)
            .where(Campaign.id == candidate, Campaign.resolver_claim == token)
            .values(resolver_claim=None)
        )
        session.commit()
    return added


# --- reading and cancelling --------------------------------------------------------------------------


def counts(session, campaign_id):
    result = {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "skipped": 0}
    for status, count in session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.status)
    ):
        result[status] = count
    return result


def campaign_to_dict(session, campaign, with_counts=True):
    result = {
        "id": campaign.id,
        "name": campaign.name,
        "template_id": campaign.template_id,
        "marketing": campaign.marketing,
        "audience": campaign.audience,
        "status": campaign.status,
        "total": campaign.total,
        "created_at": ts(campaign.created_at),
        "finished_at": ts(campaign.finished_at),
    }
    if with_counts:
        c = counts(session, campaign.id)
        # the progress bar's "still to go" includes messages being sent right now
        result.update(
            {
                "queued": c["queued"] + c["sending"],
                "sending": c["sending"],
                "sent": c["sent"],
                "failed": c["failed"],
                "skipped": c["skipped"],
            }
        )
    return result


def get_row(session, campaign_id):
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise not_found("campaign", campaign_id)
    return row


def get_campaign(session, campaign_id):
    return campaign_to_dict(session, get_row(session, campaign_id))


def list_campaigns(session, args):
    args = load(PageArgs(), args or {})
    after = decode_cursor(args.get("cursor"), 1)
    stmt = select(Campaign)
    if after is not None:
        stmt = stmt.where(Campaign.id < after[0])
    rows = list(session.scalars(stmt.order_by(Campaign.id.desc()).limit(args["limit"] + 1)))
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor([rows[-1].id])
    return {"items": [campaign_to_dict(session, r) for r in rows], "next_cursor": next_cursor}


def list_recipients(session, campaign_id, args):
    from proofsheet_shared.contracts.communications import CampaignRecipientArgs

    get_row(session, campaign_id)
    args = load(CampaignRecipientArgs(), args or {})
    after = decode_cursor(args.get("cursor"), 1)
    stmt = select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id)
    if args.get("status"):
        stmt = stmt.where(CampaignRecipient.status == args["status"])
    if after is not None:
        stmt = stmt.where(CampaignRecipient.id > after[0])
    rows = list(session.scalars(stmt.order_by(CampaignRecipient.id).limit(args["limit"] + 1)))
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor([rows[-1].id])
    return {
        "items": [
            {
                "id": r.id,
                "client_id": r.client_id,
                "email": r.email,
                "status": r.status,
                "reason": r.reason,
                "attempts": r.attempts,
                "error": r.error,
                "sent_at": ts(r.sent_at),
            }
            for r in rows
        ],
        "next_cursor": next_cursor,
    }


def cancel_campaign(session, campaign_id, user_id):
    """Stop sending: every recipient still queued is skipped (those being sent right now finish)."""
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise not_found("campaign", campaign_id)
    if campaign.status not in ("preparing", "sending"):
        raise Unprocessable(f"the campaign is already {campaign.status}", {"status": campaign.status})
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == "queued")
        .values(status="skipped", reason="campaign cancelled")
    )
    campaign.status, campaign.finished_at, campaign.cancelled_by = "cancelled", utcnow(), user_id
    campaign.resolve_state = campaign.resolver_claim = None
    session.flush()
    return campaign_to_dict(session, campaign)
