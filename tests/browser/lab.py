"""A real JupyterLab on 127.0.0.1, driven by Debian's Chromium through Playwright.

Shared by the browser tests and the browser benchmark.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = pathlib.Path("/usr/bin/chromium")
# Headless, as root, with no calls home (this network refuses them).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "browser-tests"
VIEWPORT = {"width": 1300, "height": 1000}


def ensure_chromium() -> pathlib.Path:
    """Debian's Chromium, installed with apt-get if it is missing.

    Raises
    ------
    RuntimeError
        If it cannot be installed (no root and no password-less sudo, or no
        Debian package registry).
    """
    if not CHROMIUM.exists():
        done = subprocess.run(
            ["bash", str(pathlib.Path(__file__).with_name("install-chromium"))],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not CHROMIUM.exists():
            raise RuntimeError(
                "the browser tests need Debian's Chromium at /usr/bin/chromium and could not install it "
                f"(apt-get install chromium, as root):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server over a copy of the lessons, with fresh settings.

    The notebooks are copies, so running them never changes the repository.
    Settings start empty except for Binder's override (no news or update
    pop-ups); the application is exposed as ``window.jupyterapp`` so that tests
    can run JupyterLab's own commands (run all cells, change theme).
    """

    def __init__(self, notebooks=(), env: dict[str, str] | None = None):
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="lab-"))
        (self.root / "lessons").mkdir()
        for path in notebooks:
            shutil.copy(path, self.root / "lessons")
        self._settings = self.root / ".settings"
        notification = self._settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        override = json.loads((ROOT / "binder" / "overrides.json").read_text())
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps(override["@jupyterlab/apputils-extension:notification"])
        )
        self.port = _free_port()
        self._env = {
            **os.environ,
            "JUPYTERLAB_SETTINGS_DIR": str(self._settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.root / ".workspaces"),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> JupyterLab:
        """Start the server and wait until it answers."""
        self._log = open(self.root / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.expose_app_in_browser=True",
            ],
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={TOKEN}", timeout=5):
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.log()
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not start:\n{log[-3000:]}") from None
                time.sleep(0.5)

    def __enter__(self) -> JupyterLab:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The JupyterLab address that opens `path` (relative to the root) alone.

        Each path gets a workspace of its own, reset on opening, so that a page
        never restores the notebooks another page opened.
        """
        workspace = pathlib.PurePosixPath(path).stem
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?reset&token={TOKEN}"

    def log(self) -> str:
        """What the server has printed so far."""
        return (self.root / "server.log").read_text()

    def stop(self) -> None:
        """Stop the server (and its kernels) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def launch_chromium(playwright):
    """Headless Debian Chromium through Playwright."""
    return playwright.chromium.launch(executable_path=str(ensure_chromium()), args=CHROMIUM_FLAGS)


_KERNEL_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return Boolean(kernel) && kernel.status === "idle";
}"""
_ALL_RUN = """() => {
  const prompts = [...document.querySelectorAll(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt")];
  return prompts.length > 0 && prompts.every((p) => /\\[\\d+\\]/.test(p.textContent));
}"""


def write_notebook(lab: JupyterLab, name: str, sources) -> str:
    """Write a notebook of code cells `sources` as ``lessons/<name>.ipynb``; return that path."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = f"lessons/{name}.ipynb"
    nbformat.write(nb, str(lab.root / path))
    return path


def open_notebook(page, lab: JupyterLab, path: str, timeout: float = 120.0) -> None:
    """Open `path` in JupyterLab and wait for its kernel to be idle."""
    page.goto(lab.url(path))
    page.wait_for_function(_KERNEL_READY, timeout=timeout * 1000)


def run_command(page, command: str, args: dict | None = None):
    """Execute a JupyterLab command (as a menu item or shortcut would)."""
    return page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)", [command, args or {}]
    )


def run_all_cells(page, timeout: float = 600.0) -> float:
    """Run every cell of the open notebook; return the seconds until all have run."""
    started = time.perf_counter()
    run_command(page, "notebook:run-all-cells")
    page.wait_for_function(_ALL_RUN, timeout=timeout * 1000)
    page.wait_for_function(_KERNEL_READY, timeout=timeout * 1000)
    return time.perf_counter() - started


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme ("JupyterLab Light" or "JupyterLab Dark") and wait for it."""
    run_command(page, "apputils:change-theme", {"theme": theme})
    light = "Light" in theme
    page.wait_for_selector(f"body[data-jp-theme-light='{str(light).lower()}']", state="attached")
    # The theme's stylesheet loads after the attribute is set: wait for its colours.
    page.wait_for_function(
        """(light) => {
          for (let e = document.querySelector(".jp-Notebook .jp-Cell"); e; e = e.parentElement) {
            const [r, g, b, a] = getComputedStyle(e).backgroundColor.match(/[\\d.]+/g).map(Number);
            if (a === undefined || a > 0) return (r + g + b) / 3 > 128 === light;
          }
          return false;
        }""",
        arg=light,
    )


def code_cells(page) -> list:
    """(source, cell element) for each code cell of the open notebook."""
    return [
        (cell.locator(".jp-InputArea-editor .cm-content").text_content(), cell)
        for cell in page.locator(".jp-Notebook .jp-CodeCell").all()
    ]
