"""The console's one HTML page, rendered by the node (`node.console` says what it holds and why).

The login forms stay disabled until the modules have loaded and taken them over, so a password is
never sent by the browser's own form submission (it would go in a URL). Without JavaScript, or
before logging in, the page is a login page naming the node and its
organisation, in the language the browser asks for first (``Accept-Language``: Chinese for
``zh``, ``zh-CN`` ..., English otherwise; the page's switch then changes it). Its words come from
the same translation files the modules read (static/i18n/LANG.json), so each phrase is written
once per language. The facts block (``<script type="application/json" id="console-facts">``)
holds what the modules need before any API call; a JSON data block is not run, so the
Content-Security-Policy's ``script-src 'self'`` allows it.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from node.tx.codes import ValidationCode
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.literals import DURATION_UNITS

STATIC = Path(__file__).resolve().parent / "static"
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
# Every module, announced in the page's head so that the browser fetches them at once rather than
# one level of imports after another.
MODULES = tuple(sorted(p.relative_to(STATIC).as_posix() for p in (STATIC / "js").rglob("*.js")))


@lru_cache(maxsize=len(LANGUAGES))
def phrases(lang: str) -> dict[str, str]:
    """The translation table of ``lang`` (one of `LANGUAGES`), as static/i18n/LANG.json holds it."""
    table: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return table


def language_of(accept_language: str | None) -> str:
    """The language of the page for an ``Accept-Language`` header: the first of `LANGUAGES` the
    browser names, by its q-values (ties keep the header's order); `DEFAULT_LANGUAGE` without one."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def facts(node: str, org: str) -> dict[str, Any]:
    """What the page's modules read before any API call, each from its one definition."""
    return {"node": node, "org": org, "languages": list(LANGUAGES),
            "currencies": dict(sorted(CURRENCY_DIGITS.items())),
            "duration_units": dict(DURATION_UNITS),
            "codes": {code.name: code.explanation for code in ValidationCode}}


def render(node: str, org: str, lang: str) -> str:
    """The page for node ``node`` of organisation ``org``, its login form in ``lang``."""
    words = phrases(lang)

    def t(key: str) -> str:
        return html.escape(words.get(key, phrases(DEFAULT_LANGUAGE)[key]))

    block = json.dumps(facts(node, org), ensure_ascii=False).replace("</", "<\\/")
    preloads = "\n".join(f'<link rel="modulepreload" href="/console/static/{m}">' for m in MODULES)
    name, organisation = html.escape(node), html.escape(org)
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("app.title")} · {name}</title>
<link rel="stylesheet" href="/console/static/console.css">
<link rel="icon" href="data:,">
<script type="application/json" id="console-facts">{block}</script>
<script type="module" src="/console/static/js/app.js"></script>
{preloads}
</head>
<body>
<header class="top">
  <a class="brand" href="#/" data-i18n="app.title">{t("app.title")}</a>
  <span class="where"><span id="node-name">{name}</span> · <span id="node-org">{organisation}</span></span>
  <nav id="nav" hidden></nav>
  <span class="tools">
    <span id="who" hidden></span>
    <button type="button" id="lang-switch" hidden>{t("lang.other")}</button>
  </span>
</header>
<main id="login" class="login">
  <h1><span data-i18n="login.heading">{t("login.heading")}</span> <span class="node-name">{name}</span></h1>
  <p><span data-i18n="login.org">{t("login.org")}</span> <strong class="org-name">{organisation}</strong></p>
  <noscript><p class="notice">{t("login.noscript")}</p></noscript>
  <form id="login-user" class="card" method="post" action="/console" autocomplete="on">
    <h2 data-i18n="login.user">{t("login.user")}</h2>
    <fieldset disabled>
    <label><span data-i18n="login.name">{t("login.name")}</span>
      <input name="name" autocomplete="username" required></label>
    <label><span data-i18n="login.password">{t("login.password")}</span>
      <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit" data-i18n="login.submit">{t("login.submit")}</button>
    </fieldset>
  </form>
  <form id="login-token" class="card" method="post" action="/console">
    <h2 data-i18n="login.certificate">{t("login.certificate")}</h2>
    <fieldset disabled>
    <p class="hint" data-i18n="login.certificate_hint">{t("login.certificate_hint")}</p>
    <label><span data-i18n="login.token">{t("login.token")}</span>
      <textarea name="token" rows="3" required spellcheck="false"></textarea></label>
    <button type="submit" data-i18n="login.use_token">{t("login.use_token")}</button>
    </fieldset>
  </form>
  <p id="login-error" class="error" role="alert" hidden></p>
</main>
<main id="app" hidden></main>
</body>
</html>
"""
