"""notifications.smtp against a real aiosmtpd server: settings, TLS, login, error classes."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import pytest
import trustme

from notifications.smtp import (
    PermanentSmtpError,
    SmtpConfigError,
    SmtpConnection,
    SmtpSettings,
    TransientSmtpError,
    send_message,
)
from tests.test_notify_support import PASSWORD, USER, authenticator, free_port, smtp_server


def message(to: str = "office@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "pw@example.org", to, "政策变化摘要"
    msg.set_content("正文")
    return msg


def plain(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, security="none", sender="pw@example.org", timeout=5)


def test_plain_delivery():
    with smtp_server() as (ctl, rec):
        assert send_message(plain(ctl.port), message()) == {}
    assert rec.messages[0]["Subject"] == "政策变化摘要"
    assert rec.envelopes == [("pw@example.org", ["office@example.org"])]


def test_451_is_transient_550_permanent_down_is_transient():
    with smtp_server() as (ctl, rec):
        rec.replies = ["451 4.3.0 try later", "550 5.7.1 rejected by policy"]
        with pytest.raises(TransientSmtpError, match="451"):
            send_message(plain(ctl.port), message())
        with pytest.raises(PermanentSmtpError, match=r"550 5\.7\.1 rejected by policy") as e:
            send_message(plain(ctl.port), message())
        assert e.value.code == 550
    with pytest.raises(TransientSmtpError, match="cannot connect"):
        send_message(plain(free_port()), message())


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server_ctx, str(ca_file)


def test_starttls_with_login(tls, monkeypatch):
    server_ctx, ca_file = tls
    port = free_port()
    monkeypatch.setenv("POLICYWATCH_SMTP_PASSWORD", PASSWORD)
    table = {
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "username": USER,
        "from": "pw@example.org",
        "ca_file": ca_file,
        "timeout": 5,
    }
    settings = SmtpSettings.from_config(table, where="pw.toml")
    assert settings.password == PASSWORD and PASSWORD not in repr(settings)
    with smtp_server(
        port,
        tls_context=server_ctx,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    ) as (_ctl, rec):
        send_message(settings, message())
        assert len(rec.messages) == 1
        bad = SmtpSettings.from_config(table, where="pw.toml", env={"POLICYWATCH_SMTP_PASSWORD": "wrong"})
        with pytest.raises(TransientSmtpError, match="login failed: 535"):
            send_message(bad, message())
    assert len(rec.messages) == 1


def test_settings_errors_name_file_and_key():
    with pytest.raises(SmtpConfigError, match=r"^pw.toml: smtp: password: never put the password"):
        SmtpSettings.from_config({"password": "x"}, where="pw.toml", env={})
    with pytest.raises(SmtpConfigError, match=r"^pw.toml: smtp: security: 'ssl' is not one of"):
        SmtpSettings.from_config({"security": "ssl"}, where="pw.toml", env={})
    # a login without its password loads (read-only commands never need it); sending refuses
    login = SmtpSettings.from_config({"username": "u"}, where="pw.toml", env={})
    assert login.missing_password == "smtp: username: a login needs the password in $POLICYWATCH_SMTP_PASSWORD"
    with pytest.raises(TransientSmtpError, match=r"a login needs the password"):
        SmtpConnection(login).send(EmailMessage())
    with pytest.raises(SmtpConfigError, match=r"smtp: port: 'x' is not a TCP port"):
        SmtpSettings.from_config({"port": "x"}, where="pw.toml", env={})
    s = SmtpSettings.from_config({"host": "mail", "security": "tls"}, env={"POLICYWATCH_SMTP_HOST": "relay"})
    assert (s.host, s.port) == ("relay", 465)
