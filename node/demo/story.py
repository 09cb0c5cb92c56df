"""The demo's cast and its claims story, as data: who takes part, what each step calls, what the
contract is expected to answer, and how each step is told. Adjust the story here and nowhere else.

The cast is four organisations, each with one node, in one channel ``claims``:

    PICC     insurer      issues the policy, attaches its benefit terms, leads the co-insurance
    CPIC     insurer      co-insures 40% of the policy
    Ruijin   hospital     bills PICC directly for Li Lei's treatment
    NFRA     regulator    retraces a bill and reads the co-insurance statement (views only)

The spec names no ``consensus``: the network takes the default of `node.network.spec`, so the
demo runs on whatever ordering a new network gets. Organisation names have no spaces, so that
every command the demo prints can be typed as it is (``--as hospital@Ruijin``).

The story (`steps`), on policy P-1001 of Li Lei, each step one transaction or one view:

    1. PICC issues the policy: 50,000.00 CNY sum insured, 500.00 CNY deductible, 10% co-payment,
       covering this calendar year.
    2. PICC attaches the benefit terms for direct billing: 8,000.00 CNY a year, a ward line paid
       up to 300.00 CNY, cosmetic treatment excluded. PICC becomes the lead insurer.
    3. PICC shares the risk: PICC 60%, CPIC 40%.
    4. Ruijin bills B-1001 (2,500.00 CNY in three lines); the contract pays 900.00 CNY.
    5. Ruijin bills B-1002 (9,000.00 CNY of surgery); the annual limit caps it at 7,100.00 CNY.
    6. Ruijin sends B-1002 again: the contract refuses it ("bill B-1002 was already adjudicated"),
       and the refusal is recorded on the ledger, where the regulator can see it.
    7. NFRA retraces how B-1002 was paid (the month it was paid in names the statement).
    8. NFRA reads PICC's statement for that month: 8,000.00 CNY paid on two bills, CPIC owes
       3,200.00 CNY.

Why this refusal: the contract caps a bill over the annual limit rather than refusing it (step
5 shows the cap), so the refused bill is a duplicate, which the contract refuses outright. The
statement stays open: `issue_statement` takes only a month that has ended, and the contract's
`today` is the real date, so the demo reads the statement and tells how it is settled later.

Dates follow the real date (the nodes stamp `today`): the policy covers the current year and
treatments fall in it, before today.

Every step carries what the contract is expected to answer (`Step.expect`, or the words of its
refusal in `Step.refused`); `play` checks it, so a story that no longer fits the contract fails
at the step that differs, naming it, instead of telling something untrue. The tests play the
story on a local ledger (`tests/node/live/test_demo.py`), which catches a change of the contract
before anyone runs the demo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

INSURER = "PICC"
CO_INSURER = "CPIC"
HOSPITAL = "Ruijin"
REGULATOR = "NFRA"
CAST = ((INSURER, "insurer"), (CO_INSURER, "insurer"), (HOSPITAL, "hospital"), (REGULATOR, "regulator"))
CHANNEL = "claims"
CONTRACT = "health"  # its name on the channel; the source is contracts/health.bao
# Every transaction needs the endorsements of three of the four organisations: none, nor two
# together, can write the ledger alone.
ENDORSEMENT_POLICY = "majority"

POLICY_ID = "P-1001"
HOLDER = "Li Lei"
SUM_INSURED = "50000.00 CNY"
DEDUCTIBLE = "500.00 CNY"
COPAY = "10%"
ANNUAL_LIMIT = "8000.00 CNY"
WARD_LIMIT = "300.00 CNY"
SHARES = {INSURER: "60%", CO_INSURER: "40%"}
FIRST_BILL = "B-1001"
FIRST_ITEMS = (("antibiotics", "Medicine", "1200.00 CNY"), ("ward (2 nights)", "Ward", "500.00 CNY"),
               ("scar revision", "Cosmetic", "800.00 CNY"))
SECOND_BILL = "B-1002"
SECOND_ITEMS = (("knee arthroscopy", "Surgery", "9000.00 CNY"),)


def spec_text(suite: str) -> str:
    """The network spec (`node.network.spec`) of the cast, in the crypto suite ``suite``."""
    orgs = "".join(f'\n[[orgs]]\nname = "{org}"\nroles = ["{role}"]\n' for org, role in CAST)
    members = ", ".join(f'"{org}"' for org, _ in CAST)
    return (f'suite = "{suite}"\n{orgs}\n[[channels]]\nname = "{CHANNEL}"\norgs = [{members}]\n'
            f'regulators = ["{REGULATOR}"]\n')


def actor(org: str) -> str:
    """The wallet identity that acts for ``org`` in the story: its role's client, ROLE@ORG."""
    return next(f"{role}@{o}" for o, role in CAST if o == org)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a step got: a committed action (result, events, block, tx id), a view's result, or a
    refusal (the contract's message; when recorded, its block and tx id)."""

    result: Any = None
    events: tuple[dict[str, Any], ...] = ()
    refusal: str | None = None
    block: int | None = None
    tx_id: str | None = None

    def event(self, name: str) -> dict[str, Any]:
        return next((e["fields"] for e in self.events if e["event"] == name), {})


Results = Mapping[str, Outcome]


class Ledger(Protocol):
    """Where the story is played: a running network (`node.demo.ledger.NetworkLedger`) or, in the
    tests, a local ledger. ``actor`` is a wallet identity, ROLE@ORG."""

    def act(self, actor: str, entry: str, args: Sequence[Any], *, record_refusal: bool) -> Outcome:
        """Call an action; a refusal is returned (``Outcome.refusal``), recorded on the ledger
        when ``record_refusal``."""
        ...

    def read(self, actor: str, entry: str, args: Sequence[Any]) -> Any:
        """Call a view; its result."""
        ...


@dataclass(frozen=True, slots=True)
class Step:
    """One step: ``actor`` calls ``entry`` with ``args(results so far)``; ``tell`` says what
    happened, for a business reader. ``expect`` is the result the contract gives (None: not
    checked), ``refused`` the words its refusal contains (None: the call must succeed)."""

    key: str
    actor: str
    entry: str
    args: Callable[[Results], tuple[Any, ...]]
    tell: Callable[[Outcome], str]
    view: bool = False
    expect: Any = None
    refused: str | None = None
    expect_events: tuple[str, ...] = ()

    def mismatch(self, outcome: Outcome) -> str | None:
        """How ``outcome`` differs from what the story expects, or None."""
        if self.refused is not None:
            if outcome.refusal is None:
                return f"the story expects the contract to refuse it ({self.refused!r}), but it was accepted"
            if self.refused not in outcome.refusal:
                return f"the story expects a refusal saying {self.refused!r}; the contract said {outcome.refusal!r}"
            return None
        if outcome.refusal is not None:
            return f"the contract refused it: {outcome.refusal}"
        if self.expect is not None and outcome.result != self.expect:
            return f"the story expects {self.expect!r}; the contract answered {outcome.result!r}"
        emitted = {e["event"] for e in outcome.events}
        missing = [name for name in self.expect_events if name not in emitted]
        if missing:
            return f"the story expects the event {', '.join(missing)}; the contract emitted {sorted(emitted) or 'none'}"
        return None


class StoryMismatch(Exception):
    """The contract did not answer a step as the story expects: the message names the step."""


def steps(today: date) -> tuple[Step, ...]:
    """The story, dated from ``today`` (the date on the channel's clock)."""
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    first_day = max(start, today - timedelta(days=6))
    second_day = max(start, today - timedelta(days=2))
    policy = {"holder": HOLDER, "sum_insured": SUM_INSURED, "deductible": DEDUCTIBLE, "copay": COPAY,
              "start": start.isoformat(), "end": end.isoformat(), "status": "Active"}
    terms = {"annual_limit": ANNUAL_LIMIT, "item_limits": {"Ward": WARD_LIMIT}, "exclusions": ["Cosmetic"]}
    hospital = actor(HOSPITAL)
    return (
        Step("issue", actor(INSURER), "issue", lambda _: (POLICY_ID, policy),
             lambda o: (f"{INSURER} issues health policy {POLICY_ID} to {HOLDER}: sum insured {money(SUM_INSURED)}, "
                        f"deductible {money(DEDUCTIBLE)}, co-payment {COPAY}, cover {start} to {end}")),
        Step("benefits", actor(INSURER), "attach_benefits", lambda _: (POLICY_ID, terms),
             lambda o: (f"{INSURER} attaches the terms for direct billing: annual limit {money(ANNUAL_LIMIT)}, a ward "
                        f"line paid up to {money(WARD_LIMIT)}, cosmetic treatment excluded; {INSURER} leads the policy"),
             expect_events=("BenefitsAttached",)),
        Step("share", actor(INSURER), "share_risk", lambda _: (POLICY_ID, SHARES),
             lambda o: (f"{INSURER} co-insures the policy with {CO_INSURER}: {INSURER} {SHARES[INSURER]}, "
                        f"{CO_INSURER} {SHARES[CO_INSURER]}; {INSURER} pays the hospital and {CO_INSURER} "
                        "reimburses its share month by month"),
             expect_events=("RiskShared",)),
        Step("first bill", hospital, "adjudicate", lambda _: (FIRST_BILL, POLICY_ID, _items(FIRST_ITEMS),
                                                              first_day.isoformat()),
             lambda o: (f"{HOSPITAL} bills {FIRST_BILL} for {first_day}: {_lines(FIRST_ITEMS)}\n"
                        f"-> {money(o.event('BillAdjudicated').get('excluded', '?'))} excluded (cosmetic), the ward "
                        f"capped at {money(WARD_LIMIT)}, then {HOLDER}'s deductible and {COPAY} co-payment: "
                        f"{INSURER} pays {HOSPITAL} {money(o.result)}"),
             expect="900.00 CNY", expect_events=("BillAdjudicated",)),
        Step("second bill", hospital, "adjudicate", lambda _: (SECOND_BILL, POLICY_ID, _items(SECOND_ITEMS),
                                                               second_day.isoformat()),
             lambda o: (f"{HOSPITAL} bills {SECOND_BILL} for {second_day}: {_lines(SECOND_ITEMS)}\n"
                        f"-> over the annual limit: {INSURER} pays {HOSPITAL} {money(o.result)}, what is left of "
                        f"{money(ANNUAL_LIMIT)} this year"),
             expect="7100.00 CNY", expect_events=("BillAdjudicated",)),
        Step("duplicate bill", hospital, "adjudicate", lambda _: (SECOND_BILL, POLICY_ID, _items(SECOND_ITEMS),
                                                                  second_day.isoformat()),
             lambda o: (f"{HOSPITAL} sends {SECOND_BILL} again\n"
                        f"-> refused by the contract: \"{o.refusal}\""
                        + ("; the refusal is recorded on the ledger" if o.tx_id else "")),
             refused="already adjudicated"),
        Step("audit", actor(REGULATOR), "adjudication", lambda _: (SECOND_BILL,),
             lambda o: (f"{REGULATOR}, the regulator, retraces {SECOND_BILL}: billed {money(o.result['billed'])}, "
                        f"paid {money(o.result['payable'])} in {month_name(o.result['period'])}, by "
                        f"{o.result['hospital']} for a treatment on {o.result['treated_on']}"),
             view=True),
        Step("statement", actor(REGULATOR), "statement", lambda r: (INSURER, r["audit"].result["period"]),
             lambda o: (f"{REGULATOR} reads {INSURER}'s co-insurance statement for {month_name(o.result['period'])}: "
                        f"{money(o.result['claims_paid'])} paid on {o.result['bill_count']} bills, {CO_INSURER} owes "
                        f"{money(o.result['owed'][CO_INSURER])}"),
             view=True),
    )


def play(ledger: Ledger, today: date, told: Callable[[int, int, Step, Outcome], None],
         starting: Callable[[int, int, Step], None] | None = None) -> dict[str, Outcome]:
    """Play the story on ``ledger``, calling ``starting(number, count, step)`` before each step
    and ``told(number, count, step, outcome)`` after it; the outcomes by step key.
    `StoryMismatch` at the first step the contract answers otherwise than the story expects."""
    story = steps(today)
    results: dict[str, Outcome] = {}
    for number, step in enumerate(story, 1):
        if starting is not None:
            starting(number, len(story), step)
        args = step.args(results)
        if step.view:
            outcome = Outcome(result=ledger.read(step.actor, step.entry, args))
        else:
            outcome = ledger.act(step.actor, step.entry, args, record_refusal=step.refused is not None)
        problem = step.mismatch(outcome)
        if problem is not None:
            raise StoryMismatch(f"step {number} ({step.key}: {step.actor} calls {step.entry}): {problem}; the story "
                                "is node/demo/story.py")
        results[step.key] = outcome
        told(number, len(story), step, outcome)
    return results


def outcome_lines(results: Results) -> list[str]:
    """The story's outcome, for a business reader."""
    statement = results["statement"].result
    billed = sum((_cents(results[k].event("BillAdjudicated")["billed"]) for k in ("first bill", "second bill")), 0)
    refused = results["duplicate bill"]
    where = f" (transaction {refused.tx_id[:16]}… in block {refused.block})" if refused.tx_id else ""
    return [
        f"{HOLDER}'s bills: {money(_text(billed))} billed by {HOSPITAL}; {INSURER} paid {money(statement['claims_paid'])},"
        f" the policy's annual limit; {HOLDER} bears the rest",
        f"{CO_INSURER} owes {INSURER} {money(statement['owed'][CO_INSURER])} ({SHARES[CO_INSURER]}) for "
        f"{month_name(statement['period'])}; the statement is {statement['status'].lower()} until the month ends, "
        f"then {INSURER} issues it and {CO_INSURER} confirms",
        f"one bill refused: \"{refused.refusal}\"{where}",
    ]


def _items(lines: tuple[tuple[str, str, str], ...]) -> list[dict[str, str]]:
    return [{"code": code, "category": category, "amount": amount} for code, category, amount in lines]


def _lines(lines: tuple[tuple[str, str, str], ...]) -> str:
    return ", ".join(f"{code} {money(amount)}" for code, _, amount in lines)


def month_name(period: int) -> str:
    """202405 -> ``May 2024``."""
    return date(period // 100, period % 100, 1).strftime("%B %Y")


def money(text: str) -> str:
    """``7100.00 CNY`` -> ``7,100.00 CNY``: amounts as people read them (the contract's JSON
    form has no separators)."""
    amount, _, currency = str(text).partition(" ")
    sign = "-" if amount.startswith("-") else ""
    whole, dot, fraction = amount.lstrip("-").partition(".")
    if not whole.isdigit():
        return str(text)
    return f"{sign}{int(whole):,}{dot}{fraction}" + (f" {currency}" if currency else "")


def _cents(text: str) -> int:
    amount, _, _ = text.partition(" ")
    whole, _, fraction = amount.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def _text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} CNY"
