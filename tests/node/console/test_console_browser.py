"""The web console in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
which `.ci/run` installs) driven by selenium against a real node process (`world.start`): one
browser session and one network for the whole module, the checks in the order a reader meets the
pages (`browser.Console` makes the moves). Skipped, with the reason, only when Chromium or its
driver is not installed.

Screenshots at desktop (1280x800) and phone (390x844) widths are kept as artefacts: in the folder
``--console-shots DIR`` names (conftest.py), else in pytest's temporary folder; the path is
printed at the end of the run."""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("selenium", reason="selenium is not installed (the test extra has it)")

from selenium.webdriver.common.by import By  # noqa: E402

from node.console import CONTENT_SECURITY_POLICY  # noqa: E402
from tests.node.console.browser import DESKTOP, PHONE, Console, chromium, installed  # noqa: E402
from tests.node.console.world import NODE, start  # noqa: E402
from vm import types as T  # noqa: E402
from vm.errors import ValueFormError  # noqa: E402
from vm.values.jsonform import from_json  # noqa: E402

pytestmark = pytest.mark.skipif(
    not installed(),
    reason="headless Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does this)",
)

# values.js's check of each [type, value] of `args`: null, or the refusal's message
CHECK_IN_PAGE = ("return args.map(([type, value]) => {"
                 " try { m.check(m.typeOf(type, {}), value, 'argument x'); return null; }"
                 " catch (e) { return e.message; } });")
POLICY = {"holder": "Li Lei", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY", "copay": "20%",
          "start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture(scope="module")
def console(console_shots: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-net")
    world = start(folder / "net")
    driver = None
    try:
        driver = chromium(Path(tempfile.mkdtemp(dir=folder)))
        yield Console(world, driver, console_shots)
    finally:
        if driver is not None:
            driver.quit()
        world.stop()


def test_without_a_session_the_console_is_a_login_page_naming_the_node_and_its_organisation(console: Console) -> None:
    answer = httpx.get(f"{console.world.api}/console", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert NODE in answer.text and "Alpha" in answer.text and "登录" in answer.text  # server-rendered, no JS needed
    console.driver.get(f"{console.world.api}/console")
    console.find("#login-user")
    assert NODE in console.text("#login h1") and console.text("#login .org-name") == "Alpha"
    console.shot("login-desktop")


def test_login_shows_the_dashboard_whose_height_rises_as_invokes_commit(console: Console) -> None:
    console.find("#login-user button:enabled", "the login forms, taken over by the page's modules")
    console.find("#login-user input[name=name]").send_keys("alice")
    console.find("#login-user input[name=password]").send_keys(console.world.password)
    console.find("#login-user button").click()
    height = int(console.text("#height"))
    assert console.text("#who .user") == "alice@Alpha"
    assert not console.driver.find_elements(By.CSS_SELECTOR, "#read-only")
    for n in (1, 2):
        assert console.invoke("issue", [f"P-{n}", POLICY]).json()["code"] == "VALID"
    console.wait(lambda d: int(d.find_element(By.ID, "height").text) >= height + 2,
                 "the dashboard's height to rise by 2")
    console.find("#nodes")  # the network's nodes, from GET /api/v1/network
    assert "peer0-alpha" in console.text("#nodes") and "peer0-beta" in console.text("#nodes")
    console.wait(lambda d: "p50" in d.find_element(By.ID, "latency-now").text, "a commit latency figure")
    console.shot("dashboard-desktop")


def test_a_block_and_its_transaction_are_shown_with_creator_entry_arguments_and_code_in_words(console: Console) -> None:
    console.open("claims/blocks")
    first = console.find("#blocks .block-link")
    number = first.text
    first.click()
    console.wait(lambda d: d.find_elements(By.ID, "block-id"), f"block {number}'s page")
    console.find("#block-transactions .tx-link").click()
    assert console.text("#tx-creator").startswith("alice@Alpha")
    assert console.text("#tx-entry") == "issue"
    assert "applied to the channel's state" in console.text("#tx-explanation")
    args = json.loads(console.text("#tx-args pre"))
    assert args["id"] == "P-2" and args["policy"]["sum_insured"] == "10000.00 CNY"
    console.shot("transaction-desktop")
    tx_id = console.text("#tx-id")
    console.find("#search input").send_keys(tx_id)  # search by tx id, then by block number
    console.find("#search button").click()
    console.wait(lambda d: tx_id in d.current_url, "the search to open the transaction")
    search = console.find("#search input")
    search.clear()
    search.send_keys(number)
    console.find("#search button").click()
    console.wait(lambda d: d.current_url.endswith(f"/block/{number}"), "the search to open the block")
    block_id = console.text("#block-id")
    search = console.find("#search input")
    search.clear()
    search.send_keys(block_id)  # and by block hash
    console.find("#search button").click()
    console.wait(lambda d: d.current_url.endswith(f"/block/{block_id}"), "the search to open the block by its hash")
    assert console.text("#block-id") == block_id
    search = console.find("#search input")
    search.clear()
    search.send_keys("f" * 64)
    console.find("#search button").click()
    assert "Nothing on this channel" in console.text("#search-problem .error")


def test_the_block_list_pages_back_from_a_block(console: Console) -> None:
    console.open("claims/blocks/3")  # the page before block 3
    console.wait(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "#blocks .block-link")] == ["2", "1", "0"],
                 "blocks 2, 1 and 0")
    assert not console.driver.find_elements(By.ID, "older")  # nothing before block 0


def test_the_contract_page_shows_its_document_history_and_policy(console: Console) -> None:
    console.open("claims/contract/health")
    frame = console.find("#explain")
    assert console.text("#policy") == "majority"
    assert console.find("#history").text.count("\n") >= 1
    console.driver.switch_to.frame(frame)
    try:
        heading = console.find("h1").text
    finally:
        console.driver.switch_to.default_content()
    assert heading  # the explain document, rendered by the node from the deployed source
    console.shot("contract-desktop")


def test_the_switch_turns_the_console_and_the_contract_document_into_chinese(console: Console) -> None:
    console.open("claims/contract/health")
    console.switch_language()
    try:
        assert "合约" in console.text("#nav")
        assert "保险公司" in console.find("#entry-issue .doc").text  # the entry's zh: description
        frame = console.wait(lambda d: next((f for f in d.find_elements(By.ID, "explain")
                                             if re.search(r"[\u4e00-\u9fff]", f.get_attribute("srcdoc") or "")), None),
                             "the document in Chinese")
        console.driver.switch_to.frame(frame)
        try:
            console.find("h1")
        finally:
            console.driver.switch_to.default_content()
        console.shot("contract-zh-desktop")
    finally:
        console.switch_language()


def test_an_entry_form_checks_its_inputs_then_submits_and_shows_the_result_or_the_refusal(console: Console) -> None:
    console.open("claims/contract/health")
    form = console.find("#entry-issue")
    form.find_element(By.ID, "arg-issue-id").send_keys("P-form")
    policy = form.find_element(By.ID, "arg-issue-policy")
    policy.send_keys(json.dumps({**POLICY, "start": "2026-1-1"}))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = console.text("#arg-issue-policy-error")
    assert "argument policy.start" in error and "2024-03-01" in error  # checked in the page: nothing sent
    policy.clear()
    policy.send_keys(json.dumps(POLICY))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    console.wait(lambda d: "VALID" in d.find_element(By.ID, "outcome-issue").text, "the invoke's outcome")
    assert console.find("#outcome-issue .tx-link")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()  # the same id again: the contract refuses
    console.wait(lambda d: "already exists" in d.find_element(By.ID, "outcome-issue").text, "the refusal")
    assert "contract-abort" in console.text("#outcome-issue .error")
    assert console.find("#entry-issue")  # still the page, the refusal a message in it
    console.shot("entry-refused-desktop")


def test_a_records_history_shows_each_change_and_its_proof_checked_in_the_browser(console: Console) -> None:
    console.invoke("suspend", ["P-1"])
    console.open("claims/records/health/policies/" + json.dumps("P-1"))
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#proof-status"), "the proof's check")
    status = console.find("#proof-status")
    assert status.get_attribute("data-ok") == "true", status.text
    rows = console.find("#record-history").find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[4].text for r in rows] == ["issue", "suspend"]
    assert json.loads(rows[1].find_elements(By.TAG_NAME, "td")[6].text)["status"] == "Suspended"
    console.shot("record-desktop")


def test_a_tampered_proof_fails_the_browsers_check(console: Console) -> None:
    proof = httpx.get(f"{console.world.api}/api/v1/channels/claims/contracts/health/records/policies/history",
                      params={"key": json.dumps("P-1")}, headers={"Authorization": f"Bearer {console.alice}"},
                      timeout=10).json()["proof"]
    block = httpx.get(f"{console.world.api}/api/v1/channels/claims/blocks/{proof['block']}",
                      headers={"Authorization": f"Bearer {console.alice}"}, timeout=10).json()
    root = proof["header"]["state_hash"] if proof.get("header") else block["state_after"]
    body = "const [p, root] = args; return (await m.checkProof(p, root)).ok;"
    assert console.module("proof.js", body, proof, root) is True
    value = bytearray.fromhex(proof["value"])
    value[-1] ^= 1
    assert console.module("proof.js", body, {**proof, "value": value.hex()}, root) is False
    said = console.module("proof.js", "return await m.checkProof(args[0], args[1]);", {**proof, "suite": "gm"}, root)
    assert said == {"ok": None, "reason": "gm"}  # SM3 is not in WebCrypto: the page says the node checked it
    if proof["siblings"]:
        siblings = [s or "00" * 32 for s in proof["siblings"]]
        siblings[0] = ("%064x" % (int(siblings[0], 16) ^ 1))
        assert console.module("proof.js", body, {**proof, "siblings": siblings}, root) is False


def test_the_events_feed_follows_new_events_filtered_by_contract(console: Console) -> None:
    console.open("claims/events")
    console.wait(lambda d: "PolicyIssued" in d.find_element(By.ID, "event-feed").text, "the recent events")
    console.invoke("reinstate", ["P-1"])
    console.wait(lambda d: "PolicyStatusChanged" in d.find_element(By.ID, "event-feed").text, "the new event")
    console.find("#event-name").send_keys("PolicyStatusChanged")
    console.find(".filters button").click()
    console.wait(lambda d: (items := d.find_elements(By.CSS_SELECTOR, "#event-feed li")) and
                 all(i.get_attribute("data-event") == "PolicyStatusChanged" for i in items), "the filtered feed")


def test_no_request_leaves_the_node(console: Console) -> None:
    origin = console.world.api
    urls = console.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(origin) or u.startswith("data:") for u in urls), urls


def test_section_7_checks_in_the_page_agree_with_the_node(console: Console) -> None:
    cases: list[tuple[str, T.Type, object]] = [
        ("Int", T.INT, 42), ("Int", T.INT, "12345678901234567890"), ("Int", T.INT, 1.5), ("Int", T.INT, "1.5"),
        ("Decimal", T.DECIMAL, "1.25"), ("Decimal", T.DECIMAL, 3), ("Decimal", T.DECIMAL, "1." + "1" * 19),
        ("Decimal", T.DECIMAL, "abc"), ("Money", T.MONEY, "1200.50 CNY"), ("Money", T.MONEY, "1200.505 CNY"),
        ("Money", T.MONEY, "12 JPY"), ("Money", T.MONEY, "12.5 JPY"), ("Money", T.MONEY, "10 XXQ"),
        ("Money", T.MONEY, "10CNY"), ("Percent", T.PERCENT, "80%"), ("Percent", T.PERCENT, "12.5%"),
        ("Percent", T.PERCENT, "80"), ("Date", T.DATE, "2024-02-29"), ("Date", T.DATE, "2023-02-29"),
        ("Date", T.DATE, "2024-3-1"), ("Duration", T.DURATION, "30 days"), ("Duration", T.DURATION, "2 weeks"),
        ("Duration", T.DURATION, "1 month"), ("Timestamp", T.TIMESTAMP, "2024-03-01T09:30:00+08:00"),
        ("Timestamp", T.TIMESTAMP, "2024-03-01T09:30:00.123Z"), ("Timestamp", T.TIMESTAMP, "2024-03-01 09:30"),
        ("Text", T.TEXT, "李雷"), ("Text", T.TEXT, 5), ("Bool", T.BOOL, True), ("Bool", T.BOOL, "true"),
        ("Hash", T.HASH, "0x" + "ab" * 32), ("Hash", T.HASH, "0x" + "ab" * 31),
        ("Party", T.PARTY, {"org": "A", "id": "A", "role": "insurer"}), ("Party", T.PARTY, {"org": "A"}),
    ]
    compound: dict[str, tuple[T.Type, list[object]]] = {  # each: values the node takes, then one it refuses
        "List[Money]": (T.ListType(T.MONEY), [["1.00 CNY", "2.00 USD"], ["1"]]),
        "List[List[Int]]": (T.ListType(T.ListType(T.INT)), [[[1, 2], [3]], [[1, "a"]]]),
        "Map[Text, Percent]": (T.MapType(T.TEXT, T.PERCENT), [{"Alpha": "60%", "Beta": "40%"}, {"Alpha": 60}]),
        "Map[Int, Text]": (T.MapType(T.INT, T.TEXT), [{"42": "x", "-7": "y"}, {"4.2": "x"}]),
        "Map[Bool, Int]": (T.MapType(T.BOOL, T.INT), [{"true": 1}, {"yes": 1}]),
        "Map[Party, Int]": (T.MapType(T.PARTY, T.INT), [{"insurer:A/A": 1}, {"A": 1}]),
        "Map[Date, Money]": (T.MapType(T.DATE, T.MONEY), [{"2024-02-29": "1.00 CNY"}, {"2024-02-30": "1.00 CNY"}]),
    }
    cases += [(name, t, value) for name, (t, values) in compound.items() for value in values]
    page = console.module("values.js", CHECK_IN_PAGE, *[[name, value] for name, _, value in cases])
    refused = {}
    for (name, t, value), refusal in zip(cases, page, strict=True):
        try:
            from_json(t, value, None, "argument x")
            node = None
        except ValueFormError as exc:
            node = str(exc)
        assert (refusal is None) == (node is None), f"{name} {value!r}: the page says {refusal!r}, the node {node!r}"
        refused[name, json.dumps(value)] = refusal is not None
    for name, (_, values) in compound.items():  # both sides of each compound type were met
        assert [refused[name, json.dumps(v)] for v in values] == [False, True], name


SCALAR_TYPES = {"Int": T.INT, "Decimal": T.DECIMAL, "Money": T.MONEY, "Percent": T.PERCENT, "Date": T.DATE,
                "Duration": T.DURATION, "Timestamp": T.TIMESTAMP, "Text": T.TEXT, "Bool": T.BOOL, "Hash": T.HASH}
_NUMBER = st.from_regex(r"-?[0-9_]{1,22}(\.[0-9_]{0,20})?", fullmatch=True)
_ANY = st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.booleans(), st.text(max_size=12), _NUMBER)
# For each type, values near its section-7 form (most of them one slip from it), and any value.
NEAR: dict[str, st.SearchStrategy[object]] = {
    "Int": st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.from_regex(r"-?[0-9]{1,80}", fullmatch=True), _NUMBER),
    "Decimal": _NUMBER,
    "Money": st.builds(lambda n, c: f"{n} {c}", _NUMBER, st.sampled_from(["CNY", "JPY", "KWD", "USD", "XXQ", "cny"])),
    "Percent": st.builds(lambda n: f"{n}%", _NUMBER),
    "Date": st.from_regex(r"[0-9]{4}-[01]?[0-9]-[0-3]?[0-9]", fullmatch=True),
    "Duration": st.builds(lambda n, u: f"{n} {u}", st.integers(-400, 400),
                          st.sampled_from(["day", "days", "week", "weeks", "month"])),
    "Timestamp": st.from_regex(r"[0-9]{4}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{1,5})?"
                               r"(Z|[+-][0-9]{2}:[0-9]{2})", fullmatch=True),
    "Text": st.text(max_size=12),
    "Bool": st.booleans(),
    "Hash": st.builds(lambda h: "0x" + h, st.from_regex(r"[0-9a-fA-F]{63,65}", fullmatch=True)),
}
CASES = st.sampled_from(sorted(SCALAR_TYPES)).flatmap(
    lambda name: st.tuples(st.just(name), st.one_of(NEAR[name], NEAR[name], NEAR[name], _ANY)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CASES, min_size=10, max_size=60))
def test_the_page_refuses_exactly_the_scalar_values_the_node_refuses(console: Console, cases: list) -> None:
    page = console.module("values.js", CHECK_IN_PAGE, *[[name, value] for name, value in cases])
    for (name, value), refusal in zip(cases, page, strict=True):
        try:
            from_json(SCALAR_TYPES[name], value, None, "argument x")
            node = None
        except ValueFormError as exc:
            node = str(exc)
        assert (refusal is None) == (node is None), f"{name} {value!r}: the page says {refusal!r}, the node {node!r}"


def test_a_regulator_sees_a_read_only_console_and_the_node_refuses_its_invoke(console: Console) -> None:
    token = console.world.certificate_session("regulator@Alpha")
    console.paste_session(token)
    console.find("#read-only")
    console.open("claims/contract/health")
    form = console.find("#entry-issue")
    assert form.find_element(By.TAG_NAME, "fieldset").get_attribute("disabled") is not None
    assert form.find_element(By.CSS_SELECTOR, ".read-only-note")
    assert console.invoke("expire", ["P-2"], token).status_code == 403  # the node's rule, not only the page's
    console.shot("contract-regulator-desktop")
    console.find("#who button").click()  # sign out: the session ends on the node too
    console.find("#login-user")
    assert httpx.get(f"{console.world.api}/api/v1/sessions", headers={"Authorization": f"Bearer {token}"},
                     timeout=10).status_code == 401


def test_an_ended_session_brings_the_login_back(console: Console) -> None:
    token = console.world.login("alice", console.world.password)
    console.paste_session(token)
    console.open("claims/dashboard")
    console.find("#height")
    assert httpx.delete(f"{console.world.api}/api/v1/sessions", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 204
    console.wait(lambda d: d.find_element(By.ID, "login").is_displayed(), "the login page after the session ended")
    assert "session has ended" in console.text("#login-error")


def test_a_member_of_one_channel_sees_nothing_of_another(console: Console) -> None:
    token = console.world.certificate_session("insurer@Beta")
    console.paste_session(token)
    options = [o.text for o in console.find("#channel").find_elements(By.TAG_NAME, "option")]
    assert options == ["shared"]
    console.open("claims/blocks")
    assert "unknown-channel" in console.text("#app .error")  # the node's refusal, as a message
    assert httpx.get(f"{console.world.api}/api/v1/channels/claims", headers={"Authorization": f"Bearer {token}"},
                     timeout=10).status_code == 404


def test_the_pages_fit_a_phone(console: Console) -> None:
    console.paste_session(console.alice)
    console.size(PHONE)
    try:
        for route, name in (("claims/dashboard", "dashboard"), ("claims/contract/health", "contract"),
                            ("claims/records/health/policies/" + json.dumps("P-1"), "record")):
            console.open(route)
            console.find("main .page > *")
            time.sleep(0.3)  # the layout settles
            width = console.driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= PHONE[0], f"{route}: the page is {width} px wide on a {PHONE[0]} px phone"
            console.shot(f"{name}-phone")
    finally:
        console.size(DESKTOP)


def test_the_dashboard_alerts_when_a_node_stops_answering_or_falls_behind(console: Console) -> None:
    synthetic = [{"name": "a", "reachable": True, "channels": {"c": {"height": 100}}},
                 {"name": "b", "reachable": True, "channels": {"c": {"height": 96}}},
                 {"name": "c", "reachable": True, "channels": {"c": {"height": 97}}},
                 {"name": "d", "reachable": False, "error": "timed out", "channels": {}}]
    said = console.module("pages/dashboard.js", "return m.alerts(args[0], 'c');", synthetic)
    assert said == ["b is 4 blocks behind", "d does not answer: timed out"]  # 3 behind is within BEHIND_BLOCKS
    console.open("claims/dashboard")
    console.find("#nodes")
    assert not console.driver.find_elements(By.ID, "alerts")
    pid = console.world.pid("peer0-beta")
    os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)  # `network up` started it from this process: reap it
    except ChildProcessError:
        pass
    console.wait(lambda d: "peer0-beta does not answer" in d.find_element(By.ID, "alerts").text
                 if d.find_elements(By.ID, "alerts") else False, "the alert for the stopped node")
    console.shot("dashboard-alert-desktop")
