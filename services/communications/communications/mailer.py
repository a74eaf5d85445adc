"""SMTP: one connection per sender, messages built with the ``email`` package, failures sorted
into temporary (try again later) and permanent (the address bounced), and SMTP errors said in
plain words for the "send test" button."""

import binascii
import email.header
import email.utils
import smtplib
import socket
import ssl
import uuid

from proofsheet_shared.types import utcnow


class SendFailure(Exception):
    """``permanent``: the server refused for good (5xx); ``bounce``: because of the recipient
    address, which is then blocked. Otherwise it is worth trying again later."""

    def __init__(self, message, permanent=False, bounce=False, code=None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.bounce = bounce
        self.code = code


def message_id(kind, ident, domain):
    return f"<{kind}-{ident}@{domain or 'proofsheet.invalid'}>"


def domain_of(address):
    return address.rpartition("@")[2] if address and "@" in address else "proofsheet.invalid"


def _header(value):
    """A header value as ASCII: RFC 2047 encoded words when it is not plain ASCII."""
    value = " ".join(str(value).split())
    if value.isascii():
        return value
    return email.header.Header(value, "utf-8", maxlinelen=998).encode()


def _address(name, address):
    return email.utils.formataddr((name or "", address), charset="utf-8")


def _qp(text):
    """Quoted-printable UTF-8 with CRLF line ends (what goes on the wire)."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True).replace(b"\n", b"\r\n")


def build_message(settings, to, subject, html, text, msg_id, unsubscribe_url=None, extra_headers=None):
    """A multipart/alternative message (text, then HTML) as bytes, and its headers as a dict.

    Written directly rather than with ``email.message.EmailMessage``, whose header objects cost
    several times more than everything else a campaign message needs; the result is plain MIME
    that the ``email`` package parses back to the same headers and parts."""
    headers = {
        "Subject": _header(subject),
        "From": _address(settings.get("from_name"), settings["from_address"]),
        "To": _header(to),
    }
    if settings.get("reply_to"):
        headers["Reply-To"] = _header(settings["reply_to"])
    headers["Date"] = email.utils.format_datetime(utcnow())
    headers["Message-ID"] = msg_id
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (extra_headers or {}).items():
        headers[name] = _header(value)
    headers["MIME-Version"] = "1.0"
    boundary = f"=_proofsheet_{uuid.uuid4().hex}"
    headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("ascii")
    part = b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    marker = f"--{boundary}\r\n".encode("ascii")
    body = b"".join(
        (
            b"\r\n",
            marker,
            part % b"plain",
            _qp(text),
            b"\r\n",
            marker,
            part % b"html",
            _qp(html),
            b"\r\n",
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )
    return head + body, headers


class Connection:
    """A lazily opened SMTP connection with the settings' TLS mode and login; reopened once
    when the server dropped it between messages."""

    def __init__(self, settings, password, timeout=30):
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self.smtp = None

    def _open(self):
        s = self.settings
        host, port = s.get("smtp_host"), int(s.get("smtp_port") or 25)
        if not host:
            raise SendFailure("no SMTP server is set up (Settings → Email)", permanent=True)
        try:
            if s.get("smtp_tls") == "ssl":
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=self.timeout)
            smtp.ehlo_or_helo_if_needed()
            if s.get("smtp_tls") == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.get("smtp_username"):
                smtp.login(s["smtp_username"], self.password or "")
        except Exception as exc:  # noqa: BLE001 - sorted and worded below
            raise classify(exc, host, port) from None
        self.smtp = smtp

    def send(self, from_address, to, data):
        for attempt in (1, 2):
            if self.smtp is None:
                self._open()
            try:
                self.smtp.sendmail(from_address, [to], data)
                return
            except smtplib.SMTPServerDisconnected as exc:
                self.close()
                if attempt == 2:
                    raise classify(
                        exc, self.settings.get("smtp_host"), self.settings.get("smtp_port")
                    ) from None
            except Exception as exc:  # noqa: BLE001
                failure = classify(exc, self.settings.get("smtp_host"), self.settings.get("smtp_port"))
                if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                    self.close()
                else:
                    self._reset()
                raise failure from None

    def _reset(self):
        try:
            self.smtp.rset()
        except Exception:  # noqa: BLE001
            self.close()

    def close(self):
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # noqa: BLE001
                try:
                    smtp.close()
                except Exception:  # noqa: BLE001
                    pass


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def classify(exc, host=None, port=None):
    """An exception from smtplib or the socket as a :class:`SendFailure` in plain words."""
    where = f"{host}:{port}" if host else "the SMTP server"
    if isinstance(exc, SendFailure):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (None, b""))
        permanent = code is not None and 500 <= code < 600
        return SendFailure(
            f"the server refused the recipient: {code} {_text(reply)}",
            permanent=permanent,
            bounce=permanent,
            code=code,
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendFailure(
            f"{where} did not accept the username or password ({exc.smtp_code} {_text(exc.smtp_error)})",
            permanent=True,
            code=exc.smtp_code,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        permanent = 500 <= exc.smtp_code < 600
        return SendFailure(
            f"the server refused the sender address {exc.sender}: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=permanent,
            code=exc.smtp_code,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendFailure(f"{where} does not support this: {exc} (check the TLS mode)", permanent=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = 500 <= exc.smtp_code < 600
        return SendFailure(
            f"the server refused the message: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=permanent,
            bounce=permanent and isinstance(exc, smtplib.SMTPDataError),
            code=exc.smtp_code,
        )
    if isinstance(exc, ConnectionRefusedError):
        return SendFailure(
            f"could not connect to {where}: the connection was refused (is the host and port "
            f"right, and the server running?)"
        )
    if isinstance(exc, socket.gaierror):
        return SendFailure(f"could not find the SMTP server {host}: the host name does not resolve")
    if isinstance(exc, TimeoutError | socket.timeout):
        return SendFailure(f"{where} did not answer in time")
    if isinstance(exc, ssl.SSLError):
        return SendFailure(
            f"the secure connection to {where} failed: {exc.reason or exc} (check the TLS mode and port)"
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendFailure(f"{where} closed the connection unexpectedly")
    if isinstance(exc, OSError):
        return SendFailure(f"could not talk to {where}: {exc.strerror or exc}")
    return SendFailure(f"sending failed: {type(exc).__name__}: {exc}")
