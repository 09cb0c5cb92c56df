"""What the language tests share: the example sources, the checker's and the compiler's helpers,
and one way to run a command as a user would.

Test modules import these (`from tests.dsl.conftest import ...`) rather than keeping copies; pytest
loads this module once, under that name.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dsl.diagnostics import CompileError
from dsl.pipeline import Compilation
from dsl.semantics import ModuleLoader
from dsl.semantics.checker import check
from dsl.syntax import ast, parser
from node.cli import cli
from vm.errors import Abort
from vm.values import Party
from vm.verify import VerifiedModule, verify

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_MD = ROOT / "docs" / "LANGUAGE.md"  # the reference, shipped with the project
# Every Bao file the project ships, relative to ROOT.
SHIPPED = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("contracts/*.bao"), *ROOT.glob("stdlib/*.bao")])


def language_examples() -> list[str]:
    """The Bao examples of LANGUAGE.md, in order."""
    return re.findall(r"```bao\n(.*?)```", LANGUAGE_MD.read_text(encoding="utf-8"), re.S)



SECTION_1 = '''\
contract HealthDirectPay
"""Hospitals bill the insurer directly; the contract adjudicates each bill."""

parties insurer, hospital, regulator

enum PolicyStatus: Active, Suspended, Expired

# A health policy as registered by the insurer.
record Policy:
    holder: Text
    sum_insured: Money
    deductible: Money = 0.00 CNY
    copay: Percent = 0%
    start: Date
    end: Date
    status: PolicyStatus = Active

state:
    policies: Map[Text, Policy]
    paid: Map[Text, Money]
    total_paid: Money = 0.00 CNY

event ClaimSettled(policy_id: Text, bill: Money, payable: Money)

lifecycle Policy.status starts Active:
    Active -> Suspended by insurer
    Suspended -> Active by insurer
    Active, Suspended -> Expired by insurer, regulator

action issue(id: Text, policy: Policy) by insurer:
    require id not in policies, "policy {id} already exists"
    policies[id] = policy

action settle(policy_id: Text, bill: Money, treated_on: Date) -> Money by hospital:
    require policy_id in policies, "unknown policy {policy_id}"
    let p = policies[policy_id]
    require p.status == Active, "policy {policy_id} is not active"
    require p.start <= treated_on <= p.end, "treatment date outside the cover period"
    let already = paid.get(policy_id, 0.00 CNY)
    let payable = min(net_of_deductible(bill, p.deductible) * (100% - p.copay), p.sum_insured - already)
    paid[policy_id] = already + payable
    total_paid += payable
    emit ClaimSettled(policy_id, bill, payable)
    return payable

action suspend(policy_id: Text) by insurer:
    policies[policy_id].status = Suspended

view remaining(policy_id: Text) -> Money:
    return policies[policy_id].sum_insured - paid.get(policy_id, 0.00 CNY)

fn net_of_deductible(bill: Money, deductible: Money) -> Money:
    return max(bill - deductible, 0.00 CNY)
'''

HEADER = """\
contract C
parties insurer, hospital
enum Status: Active, Closed
record Claim:
    amount: Money
    status: Status = Active
    notes: List[Text] = []
state:
    claims: Map[Text, Claim]
    log: List[Text]
    total: Money = 0.00 CNY
event Paid(id: Text, amount: Money)
"""


class DictLoader(ModuleLoader):
    """A module loader over in-memory sources."""

    def __init__(self, modules: dict[str, str]) -> None:
        super().__init__()
        self.modules = modules

    def load(self, name: str) -> ast.SourceFile | None:
        text = self.modules.get(name)
        return None if text is None else parser.parse_source(textwrap.dedent(text), f"{name}.bao")


def parse(text: str) -> ast.SourceFile:
    return parser.parse_source(text, "c.bao")


def check_src(text: str, loader=None):
    return check(parse(text), loader or ModuleLoader())


def body(text: str) -> str:
    """A contract: HEADER plus the given declarations."""
    return HEADER + textwrap.dedent(text)


def errors(text: str, loader=None) -> list:
    with pytest.raises(CompileError) as info:
        check_src(text, loader)
    return list(info.value.diagnostics)


def line_of(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, col) of the first occurrence of needle."""
    for i, line in enumerate(text.splitlines(), 1):
        col = line.find(needle)
        if col >= 0:
            return i, col + 1
    raise AssertionError(needle)


def one_error(text: str, loader=None):
    found = errors(text, loader)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


def at(d, text: str, needle: str) -> None:
    assert (d.span.line, d.span.col) == line_of(text, needle), d.render(text)


# -- the language commands -----------------------------------------------------------------------

def invoke(*args: object) -> Result:
    """Run `baochain ARGS...` as a user would. A user's mistake never shows a traceback: only
    SystemExit may end a command."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


COUNTER = '''contract Counter
"""A total that insurers add to."""

parties insurer, regulator

state:
    total: Money = 0.00 CNY
    count: Int = 0

event Added(amount: Money)

action add(amount: Money) -> Money by insurer:
    require amount > 0.00 CNY, "amount must be positive"
    total += amount
    count += 1
    emit Added(amount)
    return total

view average() -> Money:
    require count > 0, "nothing added yet"
    return total / count
'''

COUNTER_TESTS = '''tests for "counter.bao"

scenario "adding works":
    let picc = insurer "PICC"
    expect picc calls add(10.00 CNY) returns 10.00 CNY
    expect emitted Added(amount: 10.00 CNY)
    expect average() == 10.00 CNY

scenario "this one fails on purpose":
    let picc = insurer "PICC"
    picc calls add(10.00 CNY)
    expect average() == 99.00 CNY

scenario "a wrong failure message is reported":
    let picc = insurer "PICC"
    expect picc calls add(0.00 CNY) fails with "must be larger"
'''


# -- compiling and running: compile Bao source, verify, and call entries on a fresh in-memory ledger

GAS = 10**7
TS_2024_05_01 = 1714492800000


@dataclass
class Deployed:
    verified: VerifiedModule
    machine: object
    host: object
    role: str
    events: list = field(default_factory=list)
    reads: dict = field(default_factory=dict)
    writes: dict = field(default_factory=dict)

    def ctx(self, role: str | None = None):
        from vm.runtime import CallContext

        r = role or self.role
        return CallContext(Party("ORG", "ID", r), TS_2024_05_01, bytes(32))

    def call(self, entry: str, *args, role: str | None = None):
        result = self.machine.call(entry, args, self.ctx(role), self.host, GAS)
        self.host.apply(result.writes)
        self.events, self.reads, self.writes = list(result.events), result.reads, result.writes
        return result.value

    def abort(self, entry: str, *args, role: str | None = None) -> Abort:
        try:
            self.call(entry, *args, role=role)
        except Abort as exc:
            return exc
        raise AssertionError(f"{entry} did not abort")


def deploy(source: str, *init_args, role: str = "a") -> Deployed:
    from vm.runtime import MemoryHost
    from vm.runtime import Machine

    verified = verify(Compilation(source).module)
    d = Deployed(verified, Machine(verified), MemoryHost(), role)
    result = d.machine.deploy(init_args, d.ctx(), d.host, GAS)
    d.host.apply(result.writes)
    return d


def run_fn(body: str, returns: str, *args, params: str = "", prelude: str = ""):
    """Wrap ``body`` in an action `f(params) -> returns` of a one-party contract and call it."""
    source = f"contract T\nparties a\n{prelude}\naction f({params}) -> {returns} by a:\n"
    source += "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return deploy(source).call("f", *args)
