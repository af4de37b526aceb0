"""contact_assistant/supervise.py: supervisord's config follows the Procfile line for line."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_assistant.supervise import ProcfileError, read_procfile, render, write_config

ROOT = Path(__file__).resolve().parent.parent


def test_every_procfile_line_becomes_a_restarted_process(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text((ROOT / "Procfile").read_text() + "worker: exec sleep 1000\n")
    conf = write_config(procfile, tmp_path / "var", ROOT).read_text()
    for name in ("rasa", "actions", "web", "worker"):
        assert f"[program:{name}]" in conf
        script = (tmp_path / "var" / "run" / f"{name}.sh").read_text()
        assert read_procfile(procfile)[name] in script  # run as written, through bash
    assert conf.count("autorestart=true") == 4
    assert conf.count("stopasgroup=true") == 4


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
