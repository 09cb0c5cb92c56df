"""The console as the node serves it, without a browser: the login page (200 without a session,
naming the node and its organisation, in the browser's language), its policy headers, the static
files (served by name from node/console/static only), and the console's own text: every phrase a
module asks for exists in both languages, every validation code has its Chinese words, and no
file refers to another origin."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.console import CONTENT_SECURITY_POLICY
from node.console.page import LANGUAGES, STATIC, language_of, phrases
from node.tx.codes import ValidationCode
from tests.node.api.world import World, make_world
from vm.values.currencies import CURRENCY_DIGITS

NODE = "peer0-org1"
CONSOLE = Path(STATIC).parent
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, "intl")
    yield w
    w.close()


def _facts(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="console-facts">(.*?)</script>', page, re.S)
    assert found, page[:500]
    return json.loads(found[1])


def test_without_a_session_the_console_answers_a_login_page_naming_the_node_and_its_organisation(world: World) -> None:
    answer = world.http(NODE).get("/console")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    page = answer.text
    assert f'<span class="node-name">{NODE}</span>' in page and '<strong class="org-name">Org1</strong>' in page
    assert phrases("en")["login.submit"] in page
    facts = _facts(page)
    assert facts["node"] == NODE and facts["org"] == "Org1"
    assert facts["currencies"] == CURRENCY_DIGITS
    assert facts["codes"] == {c.name: c.explanation for c in ValidationCode}
    # the only scripts: the facts (data, never run) and the modules served by the node
    assert re.findall(r"<script[^>]*>", page) == ['<script type="application/json" id="console-facts">',
                                                  '<script type="module" src="/console/static/js/app.js">']


def test_the_login_forms_send_nothing_until_the_modules_take_them_over(world: World) -> None:
    page = world.http(NODE).get("/console").text
    forms = re.findall(r"<form [^>]*>.*?</form>", page, re.S)
    assert len(forms) == 2
    for form in forms:  # never a GET (a password in a URL), and disabled until app.js enables it
        assert 'method="post"' in form and "<fieldset disabled>" in form, form


def test_the_login_page_speaks_the_browsers_first_language(world: World) -> None:
    page = world.http(NODE).get("/console", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert '<html lang="zh">' in page and phrases("zh")["login.submit"] in page


@pytest.mark.parametrize("header, lang", [
    (None, "en"), ("", "en"), ("fr-FR", "en"), ("zh", "zh"), ("zh-TW;q=0.5, en;q=0.9", "en"),
    ("en-GB, zh-CN", "en"), ("fr, zh;q=0.4", "zh"), ("zh;q=0, en;q=0.1", "en"), ("zh;q=abc", "en"),
])
def test_language_of_takes_the_best_ranked_language_the_console_has(header: str | None, lang: str) -> None:
    assert language_of(header) == lang


def test_static_files_are_served_by_name_from_the_console_folder_only(world: World) -> None:
    http = world.http(NODE)
    script = http.get("/console/static/js/app.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert http.get("/console/static/console.css").headers["content-type"].startswith("text/css")
    assert http.get("/console/static/i18n/zh.json").json() == phrases("zh")
    for outside in ("/console/static/../page.py", "/console/static/%2e%2e/page.py", "/console/static/..%2f__init__.py",
                    "/console/static/js/nothing.js", "/console/static/js", "/console/static/"):
        answer = http.get(outside)
        assert answer.status_code == 404 and answer.json()["code"] == "not-found", outside


def _static_files() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.is_file())


def test_no_file_of_the_console_refers_to_another_origin() -> None:
    for path in [*_static_files(), CONSOLE / "page.py"]:
        text = path.read_text("utf-8").replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text, re.I), path


def test_every_module_import_resolves_to_a_served_file() -> None:
    for module in STATIC.rglob("*.js"):
        for target in re.findall(r'^import .*? from "(\.{1,2}/[^"]+)";$', module.read_text("utf-8"), re.M):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"


def test_both_languages_have_every_phrase_the_pages_ask_for() -> None:
    asked = set()
    for path in [*STATIC.rglob("*.js"), CONSOLE / "page.py"]:
        text = path.read_text("utf-8")
        asked |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_0-9]+)"', text))
        asked |= set(re.findall(r'data-i18n="([a-z_]+\.[a-z_0-9]+)"', text))
    asked |= {f"nav.{p}" for p in ("dashboard", "blocks", "contracts", "records", "events")}
    asked |= {f"tx.status_{s}" for s in ("committed", "pending", "unknown")}
    for lang in LANGUAGES:
        missing = asked - set(phrases(lang))
        assert not missing, f"{lang}.json lacks {sorted(missing)}"
    english = set(phrases("en"))
    chinese = {k for k in phrases("zh") if not k.startswith("code.")}
    assert english == chinese, english ^ chinese
    assert {f"code.{c.name}" for c in ValidationCode} <= set(phrases("zh"))
