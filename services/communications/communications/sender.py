"""Campaign sending in the background, by every instance of the service.

A timer worker calls :meth:`CampaignSender.tick` every second. A tick runs up to
``SEND_CONCURRENCY`` greenthreads, each with its own SMTP connection, until nothing is due or
the tick's time is up. Each greenthread repeatedly:

1. **claims** up to ``SEND_BATCH`` due recipients of campaigns still sending, in a short
   transaction of its own: ``status = 'sending'``, a claim token, ``claimed_at``, one more
   attempt, and the message's ``Message-ID`` (``<campaign-C-R@domain>``, fixed the first time
   the row is claimed and never changed). On PostgreSQL the rows are picked with
   ``FOR UPDATE SKIP LOCKED``, so instances never claim the same row; the update is guarded by
   ``status = 'queued'`` as well (SQLite has one writer anyway);
2. renders and sends each message (blocked addresses are skipped at this point too);
3. **marks** the batch in one transaction: ``sent`` (with its log entry), ``failed`` (5xx;
   a refused recipient is added to the block list as bounced), or back to ``queued`` with a
   later ``next_attempt_at`` for a temporary failure (4xx, connection trouble), until
   ``MAX_ATTEMPTS``. Marks apply only while the row still carries this claim.

**A crash mid-campaign.** Rows a dead sender had claimed stay ``sending`` until their claim is
older than ``CLAIM_TIMEOUT``; then any instance puts them back to ``queued`` and sends them
again. For such a row SMTP may or may not have accepted the message before the crash, and
nothing in SMTP lets us ask. We choose at-least-once towards the SMTP server, made
idempotent by the Message-ID: the resent message is byte-for-byte the same message with the
same ``Message-ID``, so mail stores that discard a Message-ID they already hold (Gmail does,
as does the SMTP sink of the tests and the benchmark) show it once. Recipients are counted
and delivered exactly once by that measure; a raw duplicate on the wire is possible only for
the at most ``SEND_CONCURRENCY × SEND_BATCH`` messages that were in flight at the crash.
(At-most-once, marking such rows failed instead, would silently lose mail that had not gone
out; the choice is one line in :func:`release_stale_claims` should a studio prefer it.)

The rate limit (``send_rate_per_minute`` in the email settings, 0 = none) is a token bucket
per service instance.
"""

import datetime as dt
import logging
import time
import uuid

import eventlet
from eventlet.semaphore import Semaphore
from sqlalchemy import String, and_, cast, func, literal, select, update

from proofsheet_shared.types import utcnow

from . import blocklist, log as comm_log, mailer, rendering, secrets
from .models import Campaign, CampaignRecipient

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def backoff(attempts, base=30.0):
    """Seconds before attempt ``attempts + 1``: base, 4 × base, 16 × base, ... (at most 2 hours)."""
    return min(base * 4 ** max(attempts - 1, 0), 7200.0)


class RateLimiter:
    """A token bucket: ``take(n)`` waits until at least one message may go and returns how many."""

    def __init__(self):
        self.per_minute = 0
        self.allowance = 0.0
        self.last = time.monotonic()
        self.lock = Semaphore()

    def configure(self, per_minute):
        if per_minute != self.per_minute:
            self.per_minute = per_minute
            self.allowance = 1.0 if per_minute else 0.0
            self.last = time.monotonic()

    def take(self, wanted, deadline):
        if not self.per_minute:
            return wanted
        rate = self.per_minute / 60.0
        while True:
            with self.lock:
                now = time.monotonic()
                self.allowance = min(self.allowance + (now - self.last) * rate, max(rate, 1.0))
                self.last = now
                if self.allowance >= 1:
                    granted = min(wanted, int(self.allowance))
                    self.allowance -= granted
                    return granted
                wait = (1 - self.allowance) / rate
            if time.monotonic() + wait > deadline:
                return 0
            eventlet.sleep(wait)


def unsubscribe_url(public_url, email, client_id, campaign_id):
    token = secrets.get().unsubscribe_token(email, client_id, campaign_id)
    return f"{public_url.rstrip('/')}/api/v1/unsubscribe/{token}"


def with_unsubscribe_link(html, url):
    """Every campaign message carries its unsubscribe link: added when the template lacks it."""
    if url in html:
        return html
    footer = (
        f'<p style="font-size:12px;color:#666666">Don\'t want these emails? '
        f'<a href="{url}">Unsubscribe</a>.</p>'
    )
    index = html.lower().rfind("</body>")
    return html[:index] + footer + html[index:] if index >= 0 else html + footer


def release_stale_claims(conn, claim_timeout):
    """Rows claimed by a sender that has not marked them within ``claim_timeout`` seconds are sent
    again (same Message-ID; see the module's notes). Returns how many."""
    cutoff = utcnow() - dt.timedelta(seconds=claim_timeout)
    return conn.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.status == "sending", CampaignRecipient.claimed_at < cutoff)
        .values(status="queued", claim=None)
    ).rowcount


def finish_campaigns(conn):
    """Campaigns with nothing left to send are completed."""
    busy = (
        select(CampaignRecipient.id)
        .where(
            CampaignRecipient.campaign_id == Campaign.id, CampaignRecipient.status.in_(("queued", "sending"))
        )
        .exists()
    )
    return conn.execute(
        update(Campaign)
        .where(Campaign.status == "sending", ~busy)
        .values(status="completed", finished_at=utcnow())
    ).rowcount


class CampaignSender:
    """One per service instance (held by the service's ``Sender`` dependency)."""

    def __init__(self, engine, config):
        self.engine = engine
        self.instance = uuid.uuid4().hex[:12]
        self.concurrency = max(1, int(config.get("SEND_CONCURRENCY", 12)))
        self.batch = max(1, int(config.get("SEND_BATCH", 20)))
        self.claim_timeout = float(config.get("CLAIM_TIMEOUT", 120))
        self.smtp_timeout = float(config.get("SMTP_TIMEOUT", 30))
        self.public_url = config.get("PUBLIC_URL") or "http://localhost:8080"
        self.tick_seconds = float(config.get("SEND_TICK_SECONDS", 10))
        self.retry_base = float(config.get("RETRY_BASE_SECONDS", 30))
        self.limiter = RateLimiter()
        self._campaigns = {}
        self.stopping = False

    # -- the tick ------------------------------------------------------------------------------

    def tick(self, settings, studio):
        """Send what is due for up to ``tick_seconds``; the number of rows handled."""
        with self.engine.begin() as conn:
            released = release_stale_claims(conn, self.claim_timeout)
            if released:
                logger.warning("re-queued %s campaign messages whose sender stopped mid-send", released)
            finish_campaigns(conn)
        if mailer_problem(settings):
            return 0
        self.limiter.configure(int(settings.get("send_rate_per_minute") or 0))
        deadline = time.monotonic() + self.tick_seconds
        pool = eventlet.GreenPool(self.concurrency)
        results = [pool.spawn(self._work, settings, studio, deadline) for _ in range(self.concurrency)]
        handled = sum(gt.wait() for gt in results)
        with self.engine.begin() as conn:
            finish_campaigns(conn)
        return handled

    def _work(self, settings, studio, deadline):
        connection = mailer.Connection(settings, settings.get("password"), timeout=self.smtp_timeout)
        handled = 0
        try:
            while time.monotonic() < deadline and not self.stopping:
                wanted = self.limiter.take(self.batch, deadline)
                if not wanted:
                    break
                token, rows = self.claim(wanted, settings)
                if not rows:
                    break
                self.send_batch(connection, token, rows, settings, studio)
                handled += len(rows)
        except Exception:  # noqa: BLE001 - the claims time out and are retried
            logger.exception("campaign sender failed")
        finally:
            connection.close()
        return handled

    # -- claiming --------------------------------------------------------------------------------

    def claim(self, limit, settings):
        token = f"{self.instance}-{uuid.uuid4().hex[:16]}"
        now = utcnow()
        domain = mailer.domain_of(settings.get("from_address"))
        R = CampaignRecipient
        with self.engine.begin() as conn:
            pick = (
                select(R.id)
                .join(Campaign, Campaign.id == R.campaign_id)
                .where(
                    R.status == "queued",
                    R.next_attempt_at <= now,
                    Campaign.status.in_(("preparing", "sending")),
                )
                .order_by(R.id)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(of=R, skip_locked=True)
            ids = list(conn.execute(pick).scalars())
            if not ids:
                return token, []
            new_id = (
                literal("<campaign-")
                + cast(R.campaign_id, String)
                + literal("-")
                + cast(R.id, String)
                + literal("@" + domain + ">")
            )
            conn.execute(
                update(R)
                .where(R.id.in_(ids), R.status == "queued")
                .values(
                    status="sending",
                    claim=token,
                    claimed_at=now,
                    attempts=R.attempts + 1,
                    message_id=func.coalesce(R.message_id, new_id),
                )
            )
            rows = conn.execute(
                select(R.id, R.campaign_id, R.client_id, R.email, R.merge, R.message_id, R.attempts)
                .where(R.claim == token)
                .order_by(R.id)
            ).all()
        return token, rows

    def _campaign(self, campaign_id):
        cached = self._campaigns.get(campaign_id)
        if cached is None:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(Campaign.subject, Campaign.html, Campaign.template_id).where(
                        Campaign.id == campaign_id
                    )
                ).one()
            cached = self._campaigns[campaign_id] = (row.subject, row.html, row.template_id)
            if len(self._campaigns) > 100:
                self._campaigns.pop(next(iter(self._campaigns)))
        return cached

    # -- sending ---------------------------------------------------------------------------------

    def send_batch(self, connection, token, rows, settings, studio):
        with self.engine.connect() as conn:
            blocked = blocklist.blocked_among(conn, [r.email for r in rows])
        sent, failed, retry, skipped, bounced, logs = [], [], [], [], [], []
        today = dt.date.today().isoformat()
        for row in rows:
            subject_src, html_src, template_id = self._campaign(row.campaign_id)
            base = dict(
                client_id=row.client_id,
                channel="email",
                to_address=row.email,
                template_id=template_id,
                campaign_id=row.campaign_id,
                record_type="client",
                record_id=row.client_id,
                message_id=row.message_id,
            )
            if blocklist.key(row.email) in blocked:
                reason = f"address blocked ({blocked[blocklist.key(row.email)]})"
                skipped.append((row.id, reason))
                logs.append(comm_log.entry(subject=subject_src, status="skipped", error=reason, **base))
                continue
            url = unsubscribe_url(self.public_url, row.email, row.client_id, row.campaign_id)
            context = {
                "client": row.merge,
                "studio": studio,
                "unsubscribe_url": url,
                "today": today,
                "now": utcnow().isoformat(),
            }
            try:
                subject, html, text = rendering.render_email(subject_src, html_src, context)
            except rendering.RenderError as exc:
                failed.append((row.id, str(exc)[:500]))
                logs.append(
                    comm_log.entry(subject=subject_src, status="failed", error=str(exc)[:500], **base)
                )
                continue
            html = with_unsubscribe_link(html, url)
            if url not in text:
                text = f"{text}\nUnsubscribe: {url}\n"
            data, headers = mailer.build_message(
                settings,
                row.email,
                subject,
                html,
                text,
                row.message_id,
                url,
                {"X-Proofsheet-Campaign": str(row.campaign_id)},
            )
            try:
                connection.send(settings["from_address"], row.email, data)
            except mailer.SendFailure as exc:
                if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                    failed.append((row.id, exc.message[:500]))
                    logs.append(
                        comm_log.entry(
                            subject=subject, status="failed", error=exc.message[:500], headers=headers, **base
                        )
                    )
                    if exc.bounce:
                        bounced.append((row.email, exc.message, row.client_id, row.campaign_id))
                else:
                    retry.append((row.id, exc.message[:500], row.attempts))
                continue
            sent.append(row.id)
            logs.append(
                comm_log.entry(subject=subject, status="sent", headers=headers, html=html, text=text, **base)
            )
        self.mark(token, sent, failed, retry, skipped, bounced, logs)

    def mark(self, token, sent, failed, retry, skipped, bounced, logs):
        R = CampaignRecipient
        now = utcnow()
        mine = and_(R.claim == token, R.status == "sending")
        with self.engine.begin() as conn:
            if sent:
                conn.execute(
                    update(R)
                    .where(R.id.in_(sent), mine)
                    .values(status="sent", sent_at=now, claim=None, error=None)
                )
            for rid, error in failed:
                conn.execute(
                    update(R).where(R.id == rid, mine).values(status="failed", claim=None, error=error)
                )
            for rid, reason in skipped:
                conn.execute(
                    update(R).where(R.id == rid, mine).values(status="skipped", claim=None, reason=reason)
                )
            for rid, error, attempts in retry:
                conn.execute(
                    update(R)
                    .where(R.id == rid, mine)
                    .values(
                        status="queued",
                        claim=None,
                        error=error,
                        next_attempt_at=now + dt.timedelta(seconds=backoff(attempts, self.retry_base)),
                    )
                )
            for address, detail, client_id, campaign_id in bounced:
                blocklist.block(conn, address, "bounced", detail, client_id, campaign_id)
            comm_log.write(conn, logs)


def mailer_problem(settings):
    from .settings import ready_problem

    return ready_problem(settings)
