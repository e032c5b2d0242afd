"""Secrets come from the environment or 0600 files, never from the TOML, and never reach a log or output."""

from __future__ import annotations

import logging

from cockpit.secrets import MASK, REDACTOR, RedactingFilter

FILE_SECRET = "pve-token-f1le-s3cret"


def use_token_file(lab, mode: int):
    secret = lab.root / "pve-token"
    secret.write_text(FILE_SECRET + "\n")
    secret.chmod(mode)
    text = lab.config.read_text().replace(
        "[[services]]",
        '[proxmox]\napi_url = "https://127.0.0.1:8006"\ntoken_id = "cockpit@pve!ro"\n'
        'token_secret = { file = "pve-token" }\n\n[[services]]',
    )
    lab.config.write_text(text)
    return secret


def test_a_group_readable_secret_file_is_refused_with_the_fix(lab, cli):
    secret = use_token_file(lab, 0o640)
    result = cli("status")
    assert result.code == 2
    assert (
        f"cockpit.toml:27: proxmox.token_secret: secret file {secret} is readable by group or others "
        f"(mode 0640); fix it with: chmod 600 {secret}"
    ) in result.err
    assert not lab.state.exists()
    secret.chmod(0o600)
    assert cli("status").code == 0


def test_validate_resolves_every_secret_and_names_the_missing_one(lab, cli, monkeypatch):
    use_token_file(lab, 0o600)
    assert cli("validate").code == 0
    monkeypatch.delenv("TEST_ADGUARD_PASSWORD")
    result = cli("validate")
    assert result.code == 2
    assert (
        "cockpit.toml:22: dns_servers[0].password: environment variable TEST_ADGUARD_PASSWORD is not set"
        in result.err
    )


def test_the_debug_log_never_holds_a_secret(lab, cli):
    use_token_file(lab, 0o600)
    log = lab.root / "debug.log"
    assert cli("--log", str(log), "validate").code == 0
    assert cli("--log", str(log), "status", "--json").code == 0
    logging.getLogger("cockpit.test").debug("token is %s and pw is %s", FILE_SECRET, "s3cret-adguard-pw")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log.read_text()
    assert "secret proxmox.token_secret resolves" in text
    assert f"token is {MASK} and pw is {MASK}" in text
    assert FILE_SECRET not in text and "s3cret-adguard-pw" not in text


def test_a_secret_pasted_into_evidence_never_reaches_the_store_or_the_screen(lab, cli):
    use_token_file(lab, 0o600)
    cli("attest", "0.ups-bought", "--evidence", f"pasted by mistake: s3cret-adguard-pw and {FILE_SECRET}")
    shown = cli("audit").out + cli("show", "0").out + cli("status", "--json").out
    assert "pasted by mistake" in shown and MASK in shown
    stored = b"".join(p.read_bytes() for p in lab.state.iterdir() if p.is_file())
    assert b"pasted by mistake" in stored
    for secret in ("s3cret-adguard-pw", FILE_SECRET):
        assert secret not in shown and secret.encode() not in stored


def test_output_passes_the_redactor(capsys):
    from cockpit.cli.output import out

    REDACTOR.add("printed-secret-value")
    out("value: printed-secret-value")
    assert capsys.readouterr().out == f"value: {MASK}\n"


def test_the_filter_masks_exception_text_too():
    REDACTOR.add("another-secret-value")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise RuntimeError("auth with another-secret-value refused")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "another-secret-value" not in record.exc_text and MASK in record.exc_text


def test_a_secret_on_the_command_line_never_reaches_the_debug_log(lab, cli):
    log = lab.root / "argv.log"
    cli("--log", str(log), "attest", "0.ups-bought", "--evidence", "typed s3cret-adguard-pw by mistake")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log.read_text()
    assert "attest 0.ups-bought --evidence typed" in text
    assert "s3cret-adguard-pw" not in text
