"""Fixtures for the browser tests: Chromium, a JupyterLab server, and each lesson run in it."""

import pathlib

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import lab

LESSONS = sorted((lab.ROOT / "lessons").glob("*.ipynb"))
SCREENSHOTS = lab.ROOT / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if pathlib.Path(str(item.fspath)).parent == pathlib.Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    """The browser binary (installed with apt-get by the first use if missing)."""
    return lab.ensure_chromium()


@pytest.fixture(scope="module")
def jupyterlab():
    with lab.JupyterLab(LESSONS) as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as playwright:
        chrome = lab.launch_chromium(playwright)
        yield chrome
        chrome.close()


class LessonPage:
    """A lesson opened in JupyterLab with every cell run, and what the page logged."""

    def __init__(self, page, path: pathlib.Path, seconds: float, console: list[str]):
        self.page, self.path, self.seconds, self.console = page, path, seconds, console

    def cell(self, source_start: str):
        """The code cell whose source starts with `source_start`."""
        for source, cell in lab.code_cells(self.page):
            if source.strip().startswith(source_start):
                return cell
        raise LookupError(f"{self.path.name} has no code cell starting with {source_start!r}")

    def screenshot(self, element, name: str) -> pathlib.Path:
        """Save a screenshot of `element` as test-artifacts/screenshots/<lesson>-<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{self.path.stem[:2]}-{name}.png"
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(target))
        return target


def _run_lesson(browser, jupyterlab, path: pathlib.Path):
    context = browser.new_context(viewport=lab.VIEWPORT)
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    lab.open_notebook(page, jupyterlab, f"lessons/{path.name}")
    seconds = lab.run_all_cells(page)
    return context, LessonPage(page, path, seconds, console)


@pytest.fixture(scope="module")
def lesson_one(jupyterlab, browser):
    """Lesson 1, opened and run top to bottom in the browser."""
    context, lesson = _run_lesson(browser, jupyterlab, LESSONS[0])
    yield lesson
    context.close()


@pytest.fixture(scope="module")
def lesson_two(jupyterlab, browser):
    """Lesson 2, opened and run top to bottom in the browser."""
    context, lesson = _run_lesson(browser, jupyterlab, LESSONS[1])
    yield lesson
    context.close()
