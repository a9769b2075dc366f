"""SMTP settings and one way to hand a message to a server, with errors sorted by what to do next.

Settings come from the `[smtp]` table of policywatch.toml, overridden by environment variables;
the password comes only from the environment (`POLICYWATCH_SMTP_PASSWORD`, or the variable named
by `password_env`), so a config file can be committed or shared without leaking a credential.

Every failure is one of two exceptions, because the caller's decision is binary:

- `TransientSmtpError`: try again later (a 4xx reply, a refused or dropped connection, a timeout,
  a failed login - a fixed password should not require resending by hand);
- `PermanentSmtpError`: this message will never be accepted as it is (a 5xx reply to the sender,
  the recipients or the data) - the outbox dead-letters it with the server's reason.

Used by notifications.sender for digests and by the scheduler for operator alerts:

    settings = SmtpSettings.from_config(cfg.tables.get("smtp"), where=str(cfg.path))
    send_message(settings, msg)            # one message, one connection
    with SmtpConnection(settings) as conn: # many messages over one connection
        conn.send(msg1); conn.send(msg2)
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

SECURITY = ("starttls", "tls", "none")
"""starttls: plain connect then STARTTLS (port 587); tls: implicit TLS (port 465); none: plain
(a local relay only - login is refused without TLS)."""

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
ENV = {
    "host": "POLICYWATCH_SMTP_HOST",
    "port": "POLICYWATCH_SMTP_PORT",
    "security": "POLICYWATCH_SMTP_SECURITY",
    "username": "POLICYWATCH_SMTP_USERNAME",
    "sender": "POLICYWATCH_SMTP_FROM",
}
PASSWORD_ENV = "POLICYWATCH_SMTP_PASSWORD"
KEYS = {"host", "port", "security", "username", "password_env", "from", "timeout", "ca_file", "helo"}


class SmtpConfigError(ValueError):
    """A bad [smtp] table or environment value: one line naming the file and key."""


class SmtpError(Exception):
    """A message was not accepted. `code` is the SMTP reply code when the server gave one."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientSmtpError(SmtpError):
    """Retry later: 4xx, connection refused/dropped, timeout, login failure."""


class PermanentSmtpError(SmtpError):
    """Never retry this message: a 5xx reply."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "policywatch@localhost"
    timeout: float = 30.0
    ca_file: str | None = None  # trust this CA bundle instead of the system store (private relays, tests)
    helo: str | None = None
    password_env: str = PASSWORD_ENV

    @property
    def missing_password(self) -> str | None:
        """Why no message can be sent yet (a login without its password), or None.

        Not an error at load: commands that send nothing (`digest --status`, `subscribers list`,
        `run --check`) never need the password; whatever sends checks this first."""
        if self.username and not self.password:
            return f"smtp: username: a login needs the password in ${self.password_env}"
        return None

    @property
    def sender_domain(self) -> str:
        addr = parseaddr(self.sender)[1]
        return addr.rpartition("@")[2] or "localhost"

    @classmethod
    def from_config(
        cls,
        table: Mapping[str, Any] | None,
        *,
        where: str = "policywatch.toml",
        env: Mapping[str, str] | None = None,
    ) -> SmtpSettings:
        """Parse `[smtp]` and apply the environment; raises SmtpConfigError naming `where` and the key."""
        env = os.environ if env is None else env
        table = dict(table or {})

        def err(key: str, why: str) -> SmtpConfigError:
            return SmtpConfigError(f"{where}: smtp: {key}: {why}")

        if "password" in table:
            raise err("password", f"never put the password in the config file; set ${PASSWORD_ENV}")
        unknown = sorted(set(table) - KEYS)
        if unknown:
            raise err(unknown[0], f"unknown key (known: {', '.join(sorted(KEYS))})")
        values: dict[str, Any] = {}
        for key in ("host", "security", "username", "from", "ca_file", "helo", "password_env"):
            if key in table and (not isinstance(table[key], str) or not table[key].strip()):
                raise err(key, "must be a non-empty string")
        values["host"] = env.get(ENV["host"]) or table.get("host", "localhost")
        security = (env.get(ENV["security"]) or table.get("security", "starttls")).lower()
        if security not in SECURITY:
            raise err("security", f"{security!r} is not one of {', '.join(SECURITY)}")
        values["security"] = security
        port: Any = env.get(ENV["port"]) or table.get("port", DEFAULT_PORTS[security])
        try:
            port = int(port)
            if isinstance(table.get("port"), bool) or not 0 < port < 65536:
                raise ValueError
        except (TypeError, ValueError):
            raise err("port", f"{port!r} is not a TCP port") from None
        values["port"] = port
        values["username"] = env.get(ENV["username"]) or table.get("username")
        values["password"] = env.get(table.get("password_env", PASSWORD_ENV)) or None
        sender = env.get(ENV["sender"]) or table.get("from", "policywatch@localhost")
        if "@" not in parseaddr(sender)[1] or "\n" in sender or "\r" in sender:
            raise err("from", f"{sender!r} is not an email address")
        values["sender"] = sender
        timeout = table.get("timeout", 30)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise err("timeout", "must be a positive number of seconds")
        values["timeout"] = float(timeout)
        values["ca_file"] = table.get("ca_file")
        if values["ca_file"] and not os.path.exists(values["ca_file"]):
            raise err("ca_file", f"{values['ca_file']}: no such file")
        values["helo"] = table.get("helo")
        values["password_env"] = table.get("password_env", PASSWORD_ENV)
        if values["username"] and security == "none":
            raise err("security", "login over an unencrypted connection is refused; use starttls or tls")
        return cls(**values)

    def tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        return ctx


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


def classify(error: BaseException) -> SmtpError:
    """Map smtplib/socket errors to transient or permanent, with the server's reply as the reason."""
    if isinstance(error, SmtpError):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _ in error.recipients.values()}
        reason = "; ".join(f"{rcpt}: {_reply(c, t)}" for rcpt, (c, t) in error.recipients.items())
        # all recipients refused: permanent only if every refusal is 5xx
        if codes and all(c >= 500 for c in codes):
            return PermanentSmtpError(f"recipients refused: {reason}", max(codes))
        return TransientSmtpError(f"recipients refused: {reason}", min(codes) if codes else None)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return TransientSmtpError(
            f"login failed: {_reply(error.smtp_code, error.smtp_error)}", error.smtp_code
        )
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        reason = _reply(code, error.smtp_error)
        if 500 <= code < 600:
            return PermanentSmtpError(reason, code)
        return TransientSmtpError(reason, code)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TransientSmtpError(f"server disconnected: {error}".rstrip(": "))
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return TransientSmtpError(f"server does not support what the settings ask: {error}")
    if isinstance(error, smtplib.SMTPException):  # before OSError: SMTPException is an OSError
        return TransientSmtpError(str(error) or type(error).__name__)
    if isinstance(error, ssl.SSLError):
        return TransientSmtpError(f"TLS failed: {error}")
    if isinstance(error, socket.timeout | TimeoutError):
        return TransientSmtpError("timed out")
    if isinstance(error, OSError):
        return TransientSmtpError(f"cannot connect to the SMTP server: {error.strerror or error}")
    raise error


class SmtpConnection:
    """One SMTP session, opened lazily and reopened after a drop; sends many messages."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.missing_password:
            raise TransientSmtpError(s.missing_password)
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, local_hostname=s.helo, timeout=s.timeout, context=s.tls_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    smtp.starttls(context=s.tls_context())
                    smtp.ehlo()
                if s.username:
                    smtp.login(s.username, s.password or "")
            except BaseException:
                smtp.close()
                raise
        except Exception as e:
            raise classify(e) from e
        return smtp

    def send(self, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send `msg` to its To/Cc/Bcc; returns the recipients the server refused (others accepted).

        Raises TransientSmtpError or PermanentSmtpError when the message was not accepted.
        """
        if self._smtp is None:
            self._smtp = self._open()
        try:
            return self._smtp.send_message(msg)
        except Exception as e:
            error = classify(e)
            if isinstance(e, smtplib.SMTPServerDisconnected) or not isinstance(e, smtplib.SMTPException):
                self._drop()
            else:
                self._reset()
            raise error from e

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()


def send_message(settings: SmtpSettings, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """Send one message over its own connection (alerts, one-offs). See SmtpConnection.send."""
    with SmtpConnection(settings) as conn:
        return conn.send(msg)
