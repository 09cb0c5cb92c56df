"""Invariants of the shipped contracts under random sequences of calls by all their parties, run on
the real compiler and VM: a debt plan's shares add up to the amount subscribed and each payment is
divided without losing a cent; a health policy pays each bill once, within its limits, and only its
issuer changes it; a pledged policy has one consented loan within its ratio at every step; a
pension plan owes exactly its assets and keeps equity within the cap; KYC fees balance and the
regulator's revocations hold; no day is covered past the accumulation limit and no cancellation
rewrites the past; only a holder's acceptance makes a custody version; an excess of loss treaty
recovers within its aggregate limit and only on ceded risks."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl.pipeline import Compilation
from vm.errors import Abort
from vm.runtime import CallContext, MemoryHost
from vm.values.literals import parse_date_literal
from vm.values.calendar import midnight_of
from vm.runtime import Machine
from vm.values import Party, to_json
from vm.verify import verify

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
GAS = 10_000_000


class Ledger:
    """One contract on a fresh in-memory ledger, called with section-7 JSON."""

    def __init__(self, machine: Machine, date: str):
        self.machine = machine
        self.host = MemoryHost()
        self.time_ms = midnight_of(parse_date_literal(date))
        self.count = 0

    def _ctx(self, party: Party) -> CallContext:
        self.count += 1
        return CallContext(party, self.time_ms, hashlib.sha256(str(self.count).encode()).digest())

    def at(self, date: str) -> None:
        self.time_ms = midnight_of(parse_date_literal(date))

    def deploy(self, party: Party, *args) -> None:
        self.host.apply(self.machine.deploy_json(list(args), self._ctx(party), self.host, GAS).writes)

    def deploy_defaults(self) -> None:
        self.host.apply(self.machine.deploy_defaults(self._ctx(Party("x", "x", "x")), self.host, GAS).writes)

    def call(self, party: Party, entry: str, *args) -> bool:
        """Run an action; True if it completed (its writes applied), False if it aborted."""
        try:
            result = self.machine.call_json(entry, list(args), self._ctx(party), self.host, GAS)
        except Abort:
            return False
        self.host.apply(result.writes)
        return True

    def answer(self, party: Party, entry: str, *args: Any) -> Any:
        """Run an action and return its result as JSON (its writes applied); None if it aborted."""
        try:
            result = self.machine.call_json(entry, list(args), self._ctx(party), self.host, GAS)
        except Abort:
            return None
        self.host.apply(result.writes)
        return self._json(entry, result.value)

    def view(self, entry: str, *args: Any, party: Party = Party("r", "r", "regulator")) -> Any:
        result = self.machine.call_json(entry, list(args), self._ctx(party), self.host, GAS)
        return self._json(entry, result.value)

    def _json(self, entry: str, value: Any) -> Any:
        returns = self.machine.entry(entry).returns
        return None if returns is None else to_json(returns, value, self.machine.types)


def _machine(name: str) -> Machine:
    return Machine(verify(Compilation.from_file(CONTRACTS / f"{name}.bao").module))


def money(text: str) -> Decimal:
    return Decimal(text.split()[0])


def cny(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f} CNY"


# ---------------------------------------------------------------------------------------------
# asset_plan: shares add up to the amount subscribed

@pytest.fixture(scope="module")
def asset_plan() -> Machine:
    return _machine("asset_plan")


INVESTORS = ("PICC", "China Life", "Taikang", "Ping An")
plan_steps = st.lists(st.one_of(
    # subscription and transfer ids from a small pool, so replays happen
    st.tuples(st.just("subscribe"), st.sampled_from(INVESTORS), st.integers(0, 3), st.integers(0, 40_000_000)),
    st.tuples(st.just("transfer"), st.sampled_from(INVESTORS), st.integers(0, 3), st.sampled_from(INVESTORS),
              st.integers(0, 30_000_000)),
    st.tuples(st.sampled_from(["close_raise", "withdraw_plan", "pay_interest", "liquidate"])),
    st.tuples(st.just("at"), st.sampled_from(["2024-03-01", "2024-07-01", "2024-07-02", "2025-01-01"])),
), max_size=20)


@given(steps=plan_steps, convention=st.sampled_from(["Act365Fixed", "ActActIcma"]))
def test_plan_shares_add_up_and_each_payment_is_divided_without_remainder_lost(asset_plan: Machine, steps,
                                                                              convention: str) -> None:
    ledger = Ledger(asset_plan, "2023-12-01")
    trustee = Party("Guoshou", "Guoshou", "trustee")
    ledger.deploy_defaults()
    assert ledger.call(trustee, "file_plan", "P", "plan", cny(100_000_000), "5%", convention, "2024-01-01", 6, 2)
    assert ledger.call(Party("CBIRC", "CBIRC", "regulator"), "register_plan", "P")
    used: set[tuple[str, str]] = set()
    for step in steps:
        interest_before = sum(money(ledger.view("interest_of", "P", org)) for org in INVESTORS)
        if step[0] == "at":
            ledger.at(step[1])
        elif step[0] == "subscribe":
            done = ledger.call(Party(step[1], step[1], "investor"), "subscribe", "P", f"S{step[2]}", cny(step[3]))
            assert not (done and (step[1], f"S{step[2]}") in used)
            if done:
                used.add((step[1], f"S{step[2]}"))
        elif step[0] == "transfer":
            done = ledger.call(Party(step[1], step[1], "investor"), "transfer", "P", f"T{step[2]}", step[3],
                               cny(step[4]))
            assert not (done and (step[1], f"T{step[2]}") in used)
            if done:
                used.add((step[1], f"T{step[2]}"))
        elif step[0] == "pay_interest":
            number = ledger.view("plan_terms", "P")["interest_payments_made"] + 1
            if ledger.call(trustee, "pay_interest", "P", number):
                subscribed = money(ledger.view("plan_terms", "P")["subscribed"])
                paid = sum(money(ledger.view("interest_of", "P", org)) for org in INVESTORS) - interest_before
                share = Decimal("0.025") if convention == "ActActIcma" else None
                if share is not None:
                    assert paid == (subscribed * share).quantize(Decimal("0.01"))
        elif step[0] == "withdraw_plan":
            ledger.call(trustee, "withdraw_plan", "P", "reason")
        else:
            ledger.call(trustee, step[0], "P")
        terms = ledger.view("plan_terms", "P")
        holdings = [money(ledger.view("holding", "P", org)) for org in INVESTORS]
        assert all(h >= 0 for h in holdings)
        total = money(ledger.view("shares_total", "P"))
        assert sum(holdings) == total
        if terms["status"] in ("Withdrawn", "Liquidated"):
            assert total == 0
        else:
            assert total == money(terms["subscribed"]) <= 100_000_000


# ---------------------------------------------------------------------------------------------
# health: never past the annual limit or the sum insured

@pytest.fixture(scope="module")
def health() -> Machine:
    return _machine("health")


CATEGORIES = ("Medicine", "Examination", "Treatment", "Surgery", "Ward", "Cosmetic", "Dental")
items = st.lists(st.tuples(st.sampled_from(CATEGORIES), st.integers(0, 500_000)), min_size=1, max_size=4)
DAYS = ("2024-03-05", "2024-07-09", "2025-02-11", "2025-05-30")
INSURERS = ("PICC", "CPIC", "PingAn")
health_steps = st.lists(st.one_of(
    # a hospital bills (bill numbers from a small pool, so replays happen)
    st.tuples(st.just("bill"), st.integers(0, 5), items, st.sampled_from(DAYS)),
    # any insurer, or the regulator, tries to change the policy
    st.tuples(st.just("attach"), st.sampled_from(INSURERS), st.integers(1, 1_000_000)),
    st.tuples(st.just("endorse"), st.sampled_from(INSURERS), st.integers(0, 150)),
    st.tuples(st.just("status"), st.sampled_from(INSURERS + ("CBIRC",)),
              st.sampled_from(["suspend", "reinstate", "expire"])),
    st.tuples(st.just("share"), st.sampled_from(INSURERS), st.integers(1, 99)),
), max_size=14)


@given(steps=health_steps, deductible=st.integers(0, 100_000), copay=st.integers(0, 100),
       annual_limit=st.integers(1, 1_000_000), sum_insured=st.integers(1, 2_000_000))
def test_a_policy_pays_each_bill_once_within_its_limits_and_only_its_issuer_changes_it(
        health: Machine, steps, deductible: int, copay: int, annual_limit: int, sum_insured: int) -> None:
    ledger = Ledger(health, "2025-06-01")
    picc = Party("PICC", "PICC", "insurer")
    hospital = Party("Ruijin", "Ruijin", "hospital")
    ledger.deploy_defaults()
    policy = {"holder": "Li Lei", "sum_insured": cny(sum_insured), "deductible": cny(deductible),
              "copay": f"{copay}%", "start": "2024-01-01", "end": "2025-12-31", "status": "Active"}
    assert ledger.call(picc, "issue", "P1", policy)
    terms = {"annual_limit": cny(annual_limit), "item_limits": {"Ward": cny(30_000)}, "exclusions": ["Cosmetic"]}
    assert ledger.call(picc, "attach_benefits", "P1", terms)
    limits = [Decimal(annual_limit) / 100]
    billed, paid_bills = Decimal(0), set()
    for step in steps:
        before = ledger.view("policy_terms", "P1")
        if step[0] == "bill":
            _, number, lines, treated_on = step
            bill = [{"code": f"L{i}", "category": c, "amount": cny(a)} for i, (c, a) in enumerate(lines)]
            payable = ledger.answer(hospital, "adjudicate", f"B{number}", "P1", bill, treated_on)
            done = payable is not None
            assert not (done and number in paid_bills), "a bill id was paid twice"
            assert not done or money(payable) >= 0, "a bill paid a negative amount"
            if done:
                paid_bills.add(number)
                billed += sum((Decimal(a) for _, a in lines), Decimal(0)) / 100
            continue
        org = step[1]
        party = Party(org, org, "regulator" if org == "CBIRC" else "insurer")
        if step[0] == "attach":
            done = ledger.call(party, "attach_benefits", "P1", {**terms, "annual_limit": cny(step[2])})
            if done:
                limits.append(Decimal(step[2]) / 100)
        elif step[0] == "endorse":
            done = ledger.call(party, "endorse", "P1", "change", "2025-06-01", cny(sum_insured), cny(deductible),
                               f"{step[2]}%", "2025-12-31")
        elif step[0] == "share":
            done = ledger.call(party, "share_risk", "P1", {"PICC": f"{step[2]}%", "CPIC": f"{100 - step[2]}%"})
        else:
            done = ledger.call(party, step[2], "P1")
        # only the issuer changes its policy; the regulator may only end it; no co-payment past 100%
        assert not done or org == "PICC" or (org == "CBIRC" and step[2] == "expire")
        assert not (done and step[0] == "endorse" and step[2] > 100)
        if not done:
            assert ledger.view("policy_terms", "P1") == before
    limit = max(limits)
    by_year = [money(ledger.view("paid_in_policy_year", "P1", y)) for y in (1, 2)]
    assert all(0 <= paid <= limit for paid in by_year)
    paid = sum(by_year)
    assert money(ledger.view("remaining", "P1")) == Decimal(sum_insured) / 100 - paid >= 0
    assert paid <= billed
    for month in (202506,):
        try:
            statement = ledger.view("statement", "PICC", month)
        except Abort:
            continue
        parts = money(statement["lead_part"]) + sum(money(v) for v in statement["owed"].values())
        assert parts == money(statement["claims_paid"])


# ---------------------------------------------------------------------------------------------
# pledge: pledged exactly when a loan is open, and the loan within the ratio

@pytest.fixture(scope="module")
def pledge() -> Machine:
    return _machine("pledge")


BANKS = ("ICBC", "BOC")
HOLDERS = ("li.lei", "han.mei")  # li.lei holds the policy
pledge_steps = st.lists(st.one_of(
    # a whole pledge: the holder may consent, the bank applies, the insurer freezes, the bank lends
    st.tuples(st.just("pledge"), st.sampled_from(BANKS), st.integers(1, 9_000_000), st.integers(1, 9_000_000),
              st.booleans()),
    st.tuples(st.just("consent"), st.sampled_from(HOLDERS), st.sampled_from(BANKS), st.integers(0, 9_000_000)),
    st.tuples(st.just("apply_for_pledge"), st.sampled_from(BANKS), st.integers(1, 12_000_000)),
    st.tuples(st.just("grant_loan"), st.sampled_from(BANKS), st.integers(1, 12_000_000)),
    st.tuples(st.just("freeze")), st.tuples(st.just("lift_freeze")), st.tuples(st.just("surrender")),
    st.tuples(st.just("request_surrender"), st.sampled_from(HOLDERS)),
    st.tuples(st.just("release"), st.sampled_from(BANKS)),
    st.tuples(st.just("repay"), st.sampled_from(BANKS), st.integers(1, 9_000_000)),
    st.tuples(st.just("revalue"), st.integers(-1_000_000, 12_000_000)),
    st.tuples(st.just("set_ratio"), st.integers(1, 100)),
), max_size=20)


@given(steps=pledge_steps)
def test_a_pledged_policy_has_one_consented_loan_within_its_ratio_at_every_step(pledge: Machine, steps) -> None:
    ledger = Ledger(pledge, "2024-03-01")
    insurer = Party("China Life", "China Life", "insurer")
    ledger.deploy_defaults()
    assert ledger.call(Party("CBIRC", "CBIRC", "regulator"), "set_ratio", "80%")
    assert ledger.call(insurer, "register_policy", "CL-1", "li.lei", cny(10_000_000), "2024-01-01")
    consent: tuple[str, int] | None = None  # what the holder agreed to, as the test saw it
    for step in steps:
        name = step[0]
        granted = False
        if name == "pledge":
            bank = Party(step[1], step[1], "bank")
            up_to = step[2] + step[3]
            if step[4] and ledger.call(Party("li.lei", "li.lei", "customer"), "consent", "CL-1", step[1], cny(up_to)):
                consent = (step[1], up_to)
            ledger.call(bank, "apply_for_pledge", "CL-1", cny(step[2]))
            ledger.call(insurer, "freeze", "CL-1")
            granted = ledger.call(bank, "grant_loan", "CL-1", cny(step[2]), "2024-12-31")
            amount, bank_org = step[2], step[1]
        elif name == "consent":
            if ledger.call(Party(step[1], step[1], "customer"), name, "CL-1", step[2], cny(step[3])):
                assert step[1] == "li.lei"
                consent = (step[2], step[3]) if step[3] > 0 else None
        elif name == "grant_loan":
            granted = ledger.call(Party(step[1], step[1], "bank"), name, "CL-1", cny(step[2]), "2024-12-31")
            amount, bank_org = step[2], step[1]
        elif name in ("apply_for_pledge", "repay"):
            ledger.call(Party(step[1], step[1], "bank"), name, "CL-1", cny(step[2]))
        elif name == "release":
            ledger.call(Party(step[1], step[1], "bank"), name, "CL-1")
        elif name == "request_surrender":
            ledger.call(Party(step[1], step[1], "customer"), name, "CL-1")
        elif name == "revalue":
            ledger.call(insurer, name, "CL-1", cny(step[1]), "2024-03-01")
        elif name == "set_ratio":
            ledger.call(Party("CBIRC", "CBIRC", "regulator"), name, f"{step[1]}%")
        else:
            ledger.call(insurer, name, "CL-1")
        standing = ledger.view("standing", "CL-1")
        has_loan = ledger.view("has_loan", "CL-1")
        assert has_loan == (standing["status"] == "Pledged")
        assert (standing["bank_org"] is not None) == (standing["status"] in ("Frozen", "Pledged"))
        assert money(standing["cash_value"]) > 0
        if granted:
            assert consent is not None and consent[0] == bank_org and amount <= consent[1]
            consent = None
        if has_loan:
            loan = ledger.view("loan_on", "CL-1")
            assert loan["bank_org"] == standing["bank_org"]
            ratio = Decimal(loan["ratio"].rstrip("%")) / 100
            assert money(loan["amount"]) <= money(standing["cash_value"]) * ratio


# ---------------------------------------------------------------------------------------------
# pension: assets equal what is owed, equity within the cap counting pending buys, no part moves
# money between members

@pytest.fixture(scope="module")
def pension() -> Machine:
    return _machine("pension")


MEMBERS = ("E1", "E2")
CLASSES = ("Equity", "Bond")
pension_steps = st.lists(st.one_of(
    # a contribution with any parts, negative ones included, run through every step
    st.tuples(st.just("contribute"), st.sampled_from(["2024-01", "2024-02"]),
              st.dictionaries(st.sampled_from(MEMBERS), st.integers(-500_000, 5_000_000), min_size=1)),
    st.tuples(st.just("order"), st.integers(0, 9), st.sampled_from(CLASSES), st.sampled_from(["Buy", "Sell"]),
              st.integers(1, 5_000_000)),
    st.tuples(st.sampled_from(["clear_investment", "settle_investment", "refuse_investment"]), st.integers(0, 9)),
    st.tuples(st.just("value_holding"), st.sampled_from(CLASSES), st.integers(0, 8_000_000), st.integers(1, 28)),
    st.tuples(st.just("allocate_result"), st.sampled_from(["Q1", "Q2"])),
    st.tuples(st.just("leave_plan"), st.sampled_from(MEMBERS)),
), max_size=16)


@given(steps=pension_steps)
def test_a_plan_owes_exactly_its_assets_and_keeps_equity_within_the_cap(pension: Machine, steps) -> None:
    ledger = Ledger(pension, "2024-03-31")
    parties = {role: Party(role, role, role) for role in
               ("principal", "trustee", "account_manager", "custodian", "investment_manager")}
    ledger.deploy(parties["trustee"], "30%", 60)
    assert ledger.call(parties["trustee"], "set_vesting", 4)
    for member in MEMBERS:
        assert ledger.call(parties["account_manager"], "open_account", member, "1980-01-01", "2022-01-01")
    trustee = parties["trustee"]

    def balance(member: str) -> Decimal:
        return money(ledger.view("account_balance", member, party=trustee))

    valued = False
    for number, step in enumerate(steps):
        before = {m: balance(m) for m in MEMBERS}
        if step[0] == "contribute":
            parts = {m: cny(c) for m, c in step[2].items()}
            total = cny(sum(step[2].values()))
            done = ledger.call(parties["principal"], "submit_contribution", f"C{number}", step[1],
                               cny(100_000_000), parts, {}, total)
            assert not done or all(c > 0 for c in step[2].values())
            for who, entry, args in (("trustee", "approve_contribution", ()), ("custodian", "confirm_funds", (total,)),
                                     ("account_manager", "allocate", ())):
                ledger.call(parties[who], entry, f"C{number}", *args)
            after = {m: balance(m) for m in MEMBERS}
            # money reaches a member only as that member's own positive part
            assert all(after[m] - before[m] in (0, Decimal(step[2].get(m, 0)) / 100) for m in MEMBERS)
        elif step[0] == "order":
            ledger.call(parties["investment_manager"], "issue_investment", f"I{step[1]}", "asset", step[2], step[3],
                        cny(step[4]))
        elif step[0] == "value_holding":
            valued |= ledger.call(parties["custodian"], "value_holding", step[1], cny(step[2]),
                                  f"2024-03-{step[3]:02d}")
        elif step[0] == "allocate_result":
            ledger.call(parties["account_manager"], "allocate_result", step[1])
        elif step[0] == "leave_plan":
            ledger.call(parties["principal"], "leave_plan", step[1])
        else:
            who = "custodian" if step[0] == "settle_investment" else "trustee"
            args = ("no",) if step[0] == "refuse_investment" else ()
            ledger.call(parties[who], step[0], f"I{step[1]}", *args)
        assets = money(ledger.view("assets", party=trustee))
        assert money(ledger.view("liabilities", party=trustee)) == assets
        assert all(balance(m) >= 0 for m in MEMBERS) or valued
        if not valued:
            assert money(ledger.view("holding_in", "Equity", party=trustee)) <= assets * Decimal("0.3")


# ---------------------------------------------------------------------------------------------
# kyc: fees balance, a regulator's revocation holds, answers come from valid checks only

@pytest.fixture(scope="module")
def kyc() -> Machine:
    return _machine("kyc")


KYC_ORGS = ("PICC", "CPIC", "PingAn")
CUSTOMER = "0x" + hashlib.sha256(b"li lei").hexdigest()
kyc_steps = st.lists(st.one_of(
    st.tuples(st.just("register_check"), st.sampled_from(KYC_ORGS), st.integers(0, 60), st.integers(1, 1800)),
    st.tuples(st.just("revoke_check"), st.sampled_from(KYC_ORGS + ("CBIRC",)), st.sampled_from(KYC_ORGS)),
    st.tuples(st.just("lift_revocation"), st.sampled_from(KYC_ORGS)),
    st.tuples(st.just("lookup"), st.sampled_from(KYC_ORGS)),
    st.tuples(st.just("set_fee"), st.integers(-100, 500)),
), max_size=20)


@given(steps=kyc_steps)
def test_fees_balance_and_a_regulators_revocation_holds_until_lifted(kyc: Machine, steps) -> None:
    ledger = Ledger(kyc, "2024-05-10")
    ledger.deploy_defaults()
    cbirc = Party("CBIRC", "CBIRC", "regulator")
    blocked: set[str] = set()
    for step in steps:
        if step[0] == "register_check":
            verified = dt.date(2024, 5, 10) - dt.timedelta(days=step[2])
            done = ledger.call(Party(step[1], step[1], "insurer"), "register_check", CUSTOMER, "FaceToFace",
                               verified.isoformat(), (verified + dt.timedelta(days=step[3])).isoformat(), "SM4:x", [])
            assert not (done and step[1] in blocked), "a check the regulator revoked came back"
        elif step[0] == "revoke_check":
            who = cbirc if step[1] == "CBIRC" else Party(step[1], step[1], "insurer")
            if ledger.call(who, "revoke_check", CUSTOMER, step[2], "reason") and step[1] == "CBIRC":
                blocked.add(step[2])
        elif step[0] == "lift_revocation":
            if ledger.call(cbirc, "lift_revocation", CUSTOMER, step[1]):
                blocked.discard(step[1])
        elif step[0] == "lookup":
            org = step[1]
            assert ledger.call(Party(org, org, "insurer"), "lookup", CUSTOMER)
        else:
            ledger.call(cbirc, "set_fee", cny(step[1]))
        stats = [ledger.view("monthly_statistic", org, 202405) for org in KYC_ORGS]
        assert sum(s["served"] for s in stats) == sum(s["consumed"] for s in stats)
        assert sum(money(s["earned"]) for s in stats) == sum(money(s["owed"]) for s in stats)
        assert all(money(s["owed"]) >= 0 for s in stats)
        for org in KYC_ORGS:
            try:
                summary = ledger.view("check_of", CUSTOMER, org)
            except Abort:
                continue
            assert set(summary) == {"provider", "method", "verified_on", "expires_on", "status"}
            assert org not in blocked or summary["status"] == "Revoked"


# ---------------------------------------------------------------------------------------------
# accumulation: never past the limit on any day, and no cancellation rewrites the past

@pytest.fixture(scope="module")
def accumulation() -> Machine:
    return _machine("accumulation")


ACC_INSURERS = ("PICC", "CPIC")
MONTHS = [f"{y}-{m:02d}-01" for y in (2024, 2025) for m in range(1, 13)]
accumulation_steps = st.lists(st.one_of(
    st.tuples(st.just("report_cover"), st.sampled_from(ACC_INSURERS), st.integers(0, 4),
              st.integers(1, 800_000), st.integers(0, 22), st.integers(0, 12)),
    st.tuples(st.just("cancel_cover"), st.sampled_from(ACC_INSURERS), st.integers(0, 4), st.integers(0, 23)),
    st.tuples(st.just("at"), st.integers(0, 23)),
), max_size=14)


@given(steps=accumulation_steps)
def test_no_day_is_covered_past_the_limit_and_no_cancellation_rewrites_the_past(accumulation: Machine, steps) -> None:
    ledger = Ledger(accumulation, "2024-01-01")
    ledger.deploy_defaults()
    assert ledger.call(Party("CBIRC", "CBIRC", "regulator"), "set_limit", cny(100_000_000))
    insured = "0x" + hashlib.sha256(b"li lei").hexdigest()
    now = 0

    def totals() -> list[Decimal]:
        return [money(ledger.view("total_on", insured, day, party=Party("PICC", "PICC", "insurer"))) for day in MONTHS]

    seen = totals()
    for step in steps:
        if step[0] == "at":
            now = max(now, step[1])
            ledger.at(MONTHS[now])
            continue
        org = Party(step[1], step[1], "insurer")
        if step[0] == "report_cover":
            first = step[4]
            ledger.call(org, "report_cover", f"C{step[2]}", insured, "accident", cny(step[3] * 100),
                        MONTHS[first], MONTHS[min(first + step[5], 23)])
        else:
            ledger.call(org, "cancel_cover", f"C{step[2]}", MONTHS[step[3]])
        now_totals = totals()
        assert all(t <= 1_000_000 for t in now_totals)
        # a day already past keeps the cover it had: only reports (never in the past) may add
        assert all(after >= before for before, after in zip(seen[:now], now_totals[:now]))
        seen = now_totals


# ---------------------------------------------------------------------------------------------
# custody: only the holder's acceptance makes a version, and only a policy in force checks valid

@pytest.fixture(scope="module")
def custody() -> Machine:
    return _machine("custody")


CUSTODY_PARTIES = (Party("PICC", "PICC", "insurer"), Party("CPIC", "CPIC", "insurer"),
                   Party("Li Lei", "Li Lei", "customer"), Party("Han Mei", "Han Mei", "customer"),
                   Party("CIC", "CIC", "custodian"), Party("CBIRC", "CBIRC", "regulator"))
custody_steps = st.lists(st.tuples(
    st.sampled_from(CUSTODY_PARTIES),
    st.sampled_from(["endorse", "accept_endorsement", "reject_endorsement", "terminate", "countersign",
                     "record_delivery", "acknowledge_receipt"]),
    st.integers(0, 3)), max_size=16)


@given(steps=custody_steps)
def test_only_the_holder_makes_a_version_and_only_a_policy_in_force_checks_valid(custody: Machine, steps) -> None:
    ledger = Ledger(custody, "2024-04-01")
    ledger.deploy_defaults()
    files = ["0x" + hashlib.sha256(f"v{i}".encode()).hexdigest() for i in range(5)]
    assert ledger.call(CUSTODY_PARTIES[0], "deposit", "P1", "Li Lei", files[4], "2024-04-01")
    accepted = 0
    for party, entry, n in steps:
        args: tuple = ("P1",)
        if entry == "endorse":
            args = ("P1", f"E{n}", files[n], "change")
        elif entry == "terminate":
            args = ("P1", "Surrender", "2024-04-01")
        elif entry == "countersign":
            version = ledger.view("custody_of", "P1")["current_version"]
            args = ("P1", version, ledger.view("custody_of", "P1")["current_hash"])
        done = ledger.call(party, entry, *args)
        if done and entry == "accept_endorsement":
            assert party.id == "Li Lei"
            accepted += 1
        policy = ledger.view("custody_of", "P1")
        assert policy["current_version"] == 1 + accepted
        for file in files:
            check = ledger.answer(CUSTODY_PARTIES[5], "check_file", "P1", file)
            assert check["authentic"] == (file in versions_of(ledger))
            assert not check["valid"] or (check["current"] and policy["status"] == "InForce")


def versions_of(ledger: Ledger) -> set[str]:
    return {v["file_hash"] for v in ledger.view("history", "P1")}


# ---------------------------------------------------------------------------------------------
# reinsurance: an excess of loss treaty within its aggregate limit; claims only on ceded risks, once

@pytest.fixture(scope="module")
def reinsurance() -> Machine:
    return _machine("reinsurance")


QUARTER_DAYS = ("2024-02-01", "2024-05-01", "2024-08-01", "2024-11-01", "2025-02-01")
reinsurance_steps = st.lists(st.one_of(
    st.tuples(st.just("premium"), st.sampled_from(["R1", "R2"]), st.integers(0, 200_000_000)),
    st.tuples(st.just("claim"), st.integers(0, 6), st.sampled_from(["R1", "R2", "R3"]),
              st.integers(0, 500_000_000), st.integers(0, 40)),
    st.tuples(st.just("at"), st.integers(0, 4)),
    st.tuples(st.just("terminate"), st.sampled_from(["PICC", "Munich Re"])),
), max_size=16)


@given(steps=reinsurance_steps, reinstatements=st.integers(0, 2))
def test_an_xl_treaty_recovers_within_its_aggregate_limit_and_only_on_ceded_risks(
        reinsurance: Machine, steps, reinstatements: int) -> None:
    ledger = Ledger(reinsurance, "2024-01-02")
    ledger.deploy_defaults()
    picc, munich = Party("PICC", "PICC", "insurer"), Party("Munich Re", "Munich Re", "reinsurer")
    treaty = {"cedent": "PICC", "reinsurer_org": "Munich Re", "kind": "ExcessOfLoss", "retention": cny(50_000_000),
              "limit": cny(200_000_000), "xl_rate": "5%", "reinstatements": reinstatements,
              "start": "2024-01-01", "end": "2024-12-31"}
    assert ledger.call(picc, "propose_treaty", "XL", treaty)
    assert ledger.call(munich, "accept_treaty", "XL")
    today, ceded_risks, claims = dt.date(2024, 1, 2), set(), {}
    for step in steps:
        if step[0] == "at":
            today = max(today, dt.date.fromisoformat(QUARTER_DAYS[step[1]]))
            ledger.at(today.isoformat())
        elif step[0] == "premium":
            if ledger.call(picc, "cede_premium", "XL", step[1], cny(0), cny(step[2]), "2024-01-01"):
                ceded_risks.add(step[1])
        elif step[0] == "terminate":
            ledger.call(picc if step[1] == "PICC" else munich, "terminate_treaty", "XL")
        else:
            _, number, risk, loss, back = step
            loss_day = (today - dt.timedelta(days=back)).isoformat()
            got = ledger.answer(picc, "cede_claim", "XL", f"C{number}", risk, cny(loss), loss_day)
            if got is not None:
                assert risk in ceded_risks and f"C{number}" not in claims
                assert 0 <= money(got) <= 2_000_000
                claims[f"C{number}"] = money(got)
    recovered = money(ledger.view("recovered_so_far", "XL"))
    assert recovered == sum(claims.values()) <= 2_000_000 * (1 + reinstatements)
    booked = Decimal(0)
    for period in ("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"):
        try:
            booked += money(ledger.view("account", "PICC", "Munich Re", period)["claims"])
        except Abort:
            pass
    assert booked == recovered
