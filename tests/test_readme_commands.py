"""The README's instructor path, run as written from the clone.

One JupyterLab that reaches both the source lessons and the released ones, without the news
pop-up; release and grade commands that use the virtual environment's Python.
"""

import json
import os
import pathlib
import re
import shlex
import socket
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TOKEN = "readme-test"


def lab_argv() -> list[str]:
    """The JupyterLab part of the README's install-and-open command."""
    install_and_open = re.findall(r"```bash\n(.+?)\n```", README)[0]
    return shlex.split(install_and_open.split("&&")[-1])


def grading_command(name: str) -> str:
    (command,) = re.findall(rf"^(\S+ -m widgets\.grading {name} .*)$", README, re.M)
    return command


def test_every_python_command_in_the_readme_uses_the_venv():
    """Does every `python -m ...` the README gives run with .venv/bin/python, where the kit is installed?"""
    pythons = re.findall(r"([\w./]*python[\w.]*) -m (?!venv\b)", README)
    assert pythons and set(pythons) == {".venv/bin/python"}, pythons


def test_release_writes_where_binder_and_the_badge_look():
    """Does the README release into student/, as postBuild does and the badge opens?"""
    assert shlex.split(grading_command("release"))[-2:] == ["lessons/", "student/"]
    assert re.search(
        r"^python -m widgets\.grading release lessons/? student/?$",
        (ROOT / "binder" / "postBuild").read_text(),
        re.M,
    )
    assert "?urlpath=lab/tree/student/" in README


def test_the_readme_grading_commands_run_from_the_clone(tmp_path):
    """From the clone, does the release command run as written (into a temporary folder), and grade start?"""
    release = shlex.split(grading_command("release"))
    release[-1] = str(tmp_path / "student")
    done = subprocess.run(release, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "student").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "lessons").glob("*.ipynb")
    )
    grade = shlex.split(grading_command("grade"))
    done = subprocess.run(grade[:4] + ["--help"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "--source" in done.stdout, done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={TOKEN}", timeout=10) as response:
        return json.load(response)


def test_the_lab_command_serves_the_clone_without_news_or_update_pop_ups(tmp_path):
    """Started as written, does JupyterLab serve the clone, with no news or update pop-ups (as Binder)?"""
    argv = lab_argv()
    assert argv[:2] == [".venv/bin/jupyter", "lab"]
    assert all(arg.startswith("-") for arg in argv[2:])  # no folder: the clone itself is the root
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings"),  # no settings of this machine's user
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    flags = ["--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={TOKEN}"]
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(
            [str(ROOT / argv[0]), *argv[1:], *flags], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    _get(port, "/api/status")
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, (
                        tmp_path / "server.log"
                    ).read_text()
                    time.sleep(0.5)
            root = {item["name"] for item in _get(port, "/api/contents/")["content"]}
            assert {"lessons", "binder", "README.md"} <= root  # student/ lands here too
            lessons = {item["name"] for item in _get(port, "/api/contents/lessons")["content"]}
            assert "01-first-bayesian-model.ipynb" in lessons
            # What JupyterLab's front end reads: "false" means never ask about (or fetch) the news.
            schema = _get(port, "/lab/api/settings/@jupyterlab/apputils-extension:notification")["schema"]
            assert schema["properties"]["fetchNews"]["default"] == "false"
            assert schema["properties"]["checkForUpdates"]["default"] is False
        finally:
            server.terminate()
            server.wait(timeout=30)
