"""A browser on a node's console for the tests: headless Chromium (Debian's `chromium` and
`chromium-driver`) driven by selenium with the flags that keep it from reaching anything but the
node (no background networking, updates or sync) and a fresh profile, and `Console`, the moves a
test makes on it: open a page and wait until it is shown anew, read an element (again, if the
page replaced it while it was read), log in with a pasted token, run a function of one of the
page's modules, take a screenshot."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.node.console.world import World

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DESKTOP, PHONE = (1280, 800), (390, 844)
WAIT_S = 15


def installed() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)


def chromium(profile: Path) -> WebDriver:
    """Headless Chromium at desktop size, English, its profile in ``profile`` (the caller quits it)."""
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--lang=en-GB"):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_script_timeout(WAIT_S)
    driver.set_window_size(*DESKTOP)
    return driver


class Console:
    """The browser on the node's console, and the network behind it."""

    def __init__(self, world: World, driver: WebDriver, shots: Path) -> None:
        self.world, self.driver, self.shots = world, driver, shots
        self.alice = world.login("alice", world.password)

    def open(self, route: str) -> None:
        """Show ``route`` (#/CHANNEL/PAGE/...) and wait until the page is shown anew, so that no element
        of the page before is found in its place."""
        if not self.driver.current_url.startswith(f"{self.world.api}/console"):
            self.driver.get(f"{self.world.api}/console#/{route}")
            self.find("#app[data-shown], #login-user button:enabled", "the console")
            return
        shown = self.driver.find_element(By.ID, "app").get_attribute("data-shown")
        self.driver.execute_script("const route = '#/' + arguments[0];"
                                   "if (location.hash !== route) location.hash = route;"
                                   "else window.dispatchEvent(new HashChangeEvent('hashchange'));", route)
        self.wait(lambda d: d.find_element(By.ID, "app").get_attribute("data-shown") != shown, f"the page {route}")

    def switch_language(self) -> None:
        shown = self.find("#app").get_attribute("data-shown")
        self.find("#lang-switch").click()
        self.wait(lambda d: d.find_element(By.ID, "app").get_attribute("data-shown") != shown,
                  "the page in the other language")

    def wait(self, condition: Callable[[WebDriver], Any], what: str, timeout: float = WAIT_S) -> Any:
        try:
            # the dashboard replaces its panels every 2 s: an element read as it goes is read again
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(condition)
        except TimeoutException:
            raise AssertionError(f"waited {timeout} s for {what}; the page shows: "
                                 f"{self.driver.find_element(By.TAG_NAME, 'body').text[:1500]}") from None

    def find(self, css: str, what: str | None = None) -> Any:
        return self.wait(lambda d: (els := d.find_elements(By.CSS_SELECTOR, css)) and els[0].is_displayed() and els[0],
                         what or css)

    def text(self, css: str) -> str:
        def read(d: WebDriver) -> list[str] | None:
            els = d.find_elements(By.CSS_SELECTOR, css)
            return [els[0].text] if els and els[0].is_displayed() else None

        return str(self.wait(read, css)[0])

    def shot(self, name: str) -> None:
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def size(self, width_height: tuple[int, int]) -> None:
        self.driver.set_window_size(*width_height)

    def invoke(self, entry: str, args: list[Any], token: str | None = None) -> httpx.Response:
        return httpx.post(f"{self.world.api}/api/v1/channels/claims/contracts/health/invoke/{entry}",
                          json={"args": args}, headers={"Authorization": f"Bearer {token or self.alice}"}, timeout=30)

    def paste_session(self, token: str) -> None:
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(f"{self.world.api}/console")
        self.find("#login-token button:enabled", "the login forms, taken over by the page's modules")
        box = self.find("#login-token textarea")
        box.send_keys(token)
        self.find("#login-token button").click()
        self.find("#app[data-shown]", "the first page after logging in")

    def module(self, path: str, body: str, *args: Any) -> Any:
        """Run ``body`` (an async function's text: ``m`` is the module, ``args`` the arguments) in the page."""
        if not self.driver.current_url.startswith(f"{self.world.api}/console"):
            self.open("")
        script = (f"const done = arguments[arguments.length - 1];"
                  f"const args = JSON.parse({json.dumps(json.dumps(args))});"
                  f"import('/console/static/js/{path}').then(async (m) => {{ {body} }})"
                  ".then(done, (e) => done({error: String(e)}));")
        answer = self.driver.execute_async_script(script)
        assert not (isinstance(answer, dict) and "error" in answer), answer
        return answer
