"""contact_assistant/supervise.py: supervisord's config follows the Procfile line for line."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_assistant.supervise import ProcfileError, read_procfile, render, write_config

ROOT = Path(__file__).resolve().parent.parent


def test_every_procfile_line_becomes_a_restarted_process(tmp_path):
    procfile = tmp_path / "Procfile"
    # One more line in the Procfile is one more supervised process.
    procfile.write_text((ROOT / "Procfile").read_text() + "extra: exec sleep 1000\n")
    conf = write_config(procfile, tmp_path / "var", ROOT).read_text()
    for name in ("rasa", "actions", "web", "worker", "extra"):
        assert f"[program:{name}]" in conf
        script = (tmp_path / "var" / "run" / f"{name}.sh").read_text()
        assert read_procfile(procfile)[name] in script  # run as written, through bash
    assert conf.count("autorestart=true") == 5
    assert conf.count("stopasgroup=true") == 5


def test_only_the_web_access_log_reaches_the_terminal(tmp_path):
    conf = render({"web": "exec gunicorn", "rasa": "exec rasa run"}, tmp_path)
    web, rasa = conf.split("[program:web]")[1].split("[program:rasa]")
    assert "stdout_logfile=/dev/stdout" in web
    assert f"stderr_logfile={tmp_path}/log/web.log" in web
    assert f"stdout_logfile={tmp_path}/log/rasa.log" in rasa


def test_percent_signs_are_escaped_for_supervisord(tmp_path):
    write_config(_procfile(tmp_path, "web: exec gunicorn --access-logformat '%(m)s'\n"),
                 tmp_path / "100%var", ROOT)
    conf = (tmp_path / "100%var" / "run" / "supervisord.conf").read_text()
    assert "100%%var" in conf
    # The command itself lives in a script, untouched by supervisord's expansion.
    assert "'%(m)s'" in (tmp_path / "100%var" / "run" / "web.sh").read_text()


@pytest.mark.parametrize("text", ["web exec gunicorn\n", "web:\n", "we b: x\n",
                                  "web: a\nweb: b\n"])
def test_a_malformed_procfile_is_refused_with_its_line(tmp_path, text):
    with pytest.raises(ProcfileError, match="Procfile:"):
        read_procfile(_procfile(tmp_path, text))


def _procfile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Procfile"
    path.write_text(text)
    return path


def test_the_control_socket_needs_a_password_kept_in_a_private_file(tmp_path):
    conf = write_config(ROOT / "Procfile", tmp_path / "var", ROOT)
    assert conf.stat().st_mode & 0o777 == 0o600
    text = conf.read_text()
    server = text.split("[unix_http_server]")[1].split("[rpcinterface")[0]
    client = text.split("[supervisorctl]")[1].split("[program")[0]
    password = [line for line in server.splitlines() if line.startswith("password=")][0]
    assert len(password) > 20 and password in client and "chmod=0700" in server


def test_the_web_process_leaves_the_banners_polling_out_of_the_access_log(monkeypatch):
    import gunicorn.glogging

    from contact_assistant.access_log import WAIT_HEALTHY_AGENT, AccessLogger

    assert "--logger-class contact_assistant.access_log.AccessLogger" in \
        read_procfile(ROOT / "Procfile")["web"]
    logged = []
    monkeypatch.setattr(gunicorn.glogging.Logger, "access",
                        lambda self, resp, req, environ, took: logged.append(environ["PATH_INFO"]))
    logger = AccessLogger.__new__(AccessLogger)  # no gunicorn config needed for this check
    for environ in ({"PATH_INFO": "/healthz", "HTTP_USER_AGENT": WAIT_HEALTHY_AGENT},
                    {"PATH_INFO": "/healthz", "HTTP_USER_AGENT": "load-balancer"},
                    {"PATH_INFO": "/"}):
        logger.access(None, None, environ, 0)
    assert logged == ["/healthz", "/"]
