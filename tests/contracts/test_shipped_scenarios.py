"""The shipped contracts and the `insurance` module pass their acceptance scenarios, through the
same runner as `baochain test`, and keep the shape issue #4 asks of them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl.syntax import ast
from dsl.pipeline import Compilation
from dsl.scenarios import find_test_files, run_test_file

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
STDLIB = ROOT / "stdlib"

# The business cases of issue #4, each a contract with its scenarios.
SHIPPED = ("kyc", "accumulation", "custody", "pledge", "health", "reinsurance", "asset_plan", "pension")

TEST_FILES = find_test_files([CONTRACTS, STDLIB])


def _report_text(report) -> str:
    lines = [d.render(report.sources.get(d.span.file)) for d in report.diagnostics]
    for r in report.results:
        if not r.passed:
            lines.append(f"{report.path}:{r.line}: {r.title}: {r.failure}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_scenarios_pass(path: Path) -> None:
    report = run_test_file(path)
    assert report.failed == 0, _report_text(report)
    assert report.passed == len(report.results) > 0


def test_every_business_case_ships_with_scenarios() -> None:
    shipped = {p.name.removesuffix(".test.bao") for p in TEST_FILES if p.parent == CONTRACTS}
    assert set(SHIPPED) <= shipped
    assert (STDLIB / "insurance.test.bao") in TEST_FILES


@pytest.mark.parametrize("name", SHIPPED)
def test_acceptance_scenarios_cover_refusals(name: str) -> None:
    tree = Compilation.from_file(CONTRACTS / f"{name}.test.bao").tree
    assert isinstance(tree, ast.TestFile)
    assert len(tree.scenarios) >= 6
    refusals = [s for sc in tree.scenarios for s in sc.steps
                if isinstance(s, ast.CallStep) and s.fails_with is not None]
    assert any(s.fails_with == "not authorized" for s in refusals), "no wrong-party refusal"
    assert len({s.fails_with for s in refusals}) >= 6, "too few distinct refusals"


SOURCES = sorted(p for p in CONTRACTS.glob("*.bao") if not p.name.endswith(".test.bao")) + [STDLIB / "insurance.bao"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_declaration_is_described(path: Path) -> None:
    tree = Compilation.from_file(path).tree
    assert isinstance(tree, ast.SourceFile)
    assert tree.docstring or tree.doc, "the file says nothing about itself"
    undescribed = [f"{type(d).__name__} {getattr(getattr(d, 'name', None), 'name', '')}"
                   for d in tree.decls if not isinstance(d, ast.Use) and not d.doc]
    undescribed += [f"state variable {v.name.name}" for d in tree.decls if isinstance(d, ast.StateDecl)
                    for v in d.vars if not v.doc]
    assert undescribed == []


LANGUAGE_EXAMPLE = ROOT / "tests" / "contracts" / "language_example.bao"
# The design copy of the reference, where this checkout has one beside it; the repository's own
# copy (docs/LANGUAGE.md) keeps the normative core unchanged.
REFERENCES = [p for p in (ROOT / "docs" / "LANGUAGE.md", ROOT.parent / "shared" / "design" / "LANGUAGE.md")
              if p.exists()]


@pytest.mark.parametrize("reference", REFERENCES, ids=lambda p: str(p))
def test_the_language_example_is_kept_verbatim_and_passes_its_scenario(reference: Path) -> None:
    """contracts/health.bao has grown past LANGUAGE.md section 1 (bill ids, benefits as the one
    way to pay, policy years); the section's contract and section 8's scenario stay the
    language's example, kept here word for word and still passing."""
    contract, scenario = re.findall(r"```bao\n(.*?)```", reference.read_text(encoding="utf-8"), re.S)[:2]
    assert LANGUAGE_EXAMPLE.read_text(encoding="utf-8") == contract
    tests = LANGUAGE_EXAMPLE.with_name("language_example.test.bao").read_text(encoding="utf-8")
    assert tests == scenario.replace('tests for "health.bao"', 'tests for "language_example.bao"', 1)
    report = run_test_file(LANGUAGE_EXAMPLE.with_name("language_example.test.bao"))
    assert report.failed == 0 and report.passed == 1, _report_text(report)


def _mutant_report(tmp_path: Path, contract: str, old: str, new: str):
    for f in (f"{contract}.bao", f"{contract}.test.bao"):
        shutil.copy(CONTRACTS / f, tmp_path / f)
    source = (tmp_path / f"{contract}.bao").read_text(encoding="utf-8")
    assert source.count(old) == 1
    (tmp_path / f"{contract}.bao").write_text(source.replace(old, new), encoding="utf-8")
    return run_test_file(tmp_path / f"{contract}.test.bao")


@pytest.mark.parametrize("contract, old, new", [
    # a co-payment forgotten in automatic adjudication
    ("health", "benefit_payable(covered, deductible_left, copay,", "benefit_payable(covered, deductible_left, 0%,"),
    # health rule 1: any insurer could change a policy it did not issue
    ("health", "require issuer_org == org,", "require issuer_org == issuer_org,"),
    # health rule 2: a bill paid twice
    ("health", 'require bill_id not in bills, "bill', 'require true, "bill'),
    ("health", "require lump_key not in lump_sums,", "require true,"),
    # health rule 3: a lump sum paid past a policy's benefit terms
    ("health", 'require policy_id not in benefits, "policy {policy_id} has benefit terms', 'require true, "policy {policy_id} has benefit terms'),
    # health rule 4: limits by calendar year
    ("health", "let policy_year = policy_year_of(p.start, treated_on)", "let policy_year = year(treated_on)"),
    # health rule 5: a co-payment above 100% accepted at issue
    ("health", 'require 0% <= policy.copay <= 100%,', 'require true,'),
    # health rule 6: each bill's parts rounded on their own
    ("health", "let part = after * share - before * share", "let part = payable * share"),
    # health rule 8: a backdated endorsement
    ("health", "require today <= effective,", "require true,"),
    # health rule 7: benefit terms in another currency
    ("health", "require same_currency(terms.annual_limit, currency),", "require true,"),
    # pledge rule 2: the loan ratio not enforced at grant, nor at revaluation
    ("pledge", "require amount <= cash_value * ratio,", "require true,"),
    ("pledge", "require loan.amount <= cash_value * loan.ratio,", "require true,"),
    ("pledge", 'require is_positive(cash_value), "a cash value must be positive"', 'require true, ""'),
    # pledge rule 1: a pledge without the holder's consent
    ("pledge", "require c.bank_org == bank_org,", "require true,"),
    # pledge rule 3: a stale valuation backs a loan
    ("pledge", "require today <= add_months(p.valued_on, 12),", "require true,"),
    # pledge rule 5: enforcement hands the bank the whole cash value
    ("pledge", "let to_bank = min(loan.amount, cash)", "let to_bank = cash"),
    # pension rule 1: a negative part moves money between members
    ("pension", 'require is_positive(part), "the part of', 'require true, "the part of'),
    # pension rule 2: a period contributed twice
    ("pension", "require contributions[earlier].status == Rejected,", "require true,"),
    # pension rule 3: no contribution limit
    ("pension", "require employer_total <= payroll * employer_limit,", "require true,"),
    # pension rule 4: the cap checked without the purchases not yet settled
    ("pension", "+ pending_equity + amount,", "+ amount,"),
    # pension rule 5: each part rounded on its own, the remainder lost
    ("pension", "            if member != last:\n", "            if true:\n"),
    # pension rule 6: nothing vests over time
    ("pension", "let vested = vested_part(a.employer_part, a.joined, today, vesting_years)", "let vested = a.employer_part"),
    # kyc rule 1: the provider puts back a check the regulator revoked
    ("kyc", "require not checks[key].revoked_by_regulator,", "require true,"),
    # kyc rule 2: the longest-valid check answers, so a placeholder captures the fees
    ("kyc", "c.verified_on > best_verified", "c.expires_on > answer.valid_until"),
    ("kyc", "if org == caller.org or not answer.verified", "if not answer.verified"),
    # kyc rule 2: the asker's own check is replaced by a later verification of another insurer
    ("kyc", "own_answers = org == caller.org", "own_answers = false"),
    # kyc rule 6: a fee in another currency
    ("kyc", "require not fee_set or same_currency(fee, fee_per_lookup),", "require true,"),
    # accumulation rule 3: a cover starting inside the new term left out, or every overlapping cover summed
    ("accumulation", "if first_day < c.start and c.start <= last_day:", "if false:"),
    ("accumulation", "peak = max(peak, in_force_on(person, c.start, zero))", "peak = peak + in_force_on(person, c.start, zero)"),
    # accumulation rules 1-2: covers kept by reference alone, so two insurers' references meet
    ("accumulation", "let key = (caller.org, cover_id)\n    require key not in covers", 'let key = ("", cover_id)\n    require key not in covers'),
    # accumulation rule 4: a backdated cancellation erases a cover that was in force
    ("accumulation", "require today <= effective,", "require true,"),
    # accumulation rule 5: amounts in another currency
    ("accumulation", "require same_currency(sum_insured, limit),", "require true,"),
    # asset_plan rule 2: a subscription sent twice counts twice
    ("asset_plan", 'require seen not in instructions_seen, "{caller.org} already used id {subscription_id}',
     'require true, "{caller.org} already used id {subscription_id}'),
    # asset_plan rule 3: a withdrawn plan keeps its holdings
    ("asset_plan", "        holdings[key] = zero\n    p.status = Withdrawn", "        pass\n    p.status = Withdrawn"),
    # asset_plan rule 4: ACT/ACT computed as ACT/365F
    ("asset_plan", "return coupon * (every_months / 12)", "return coupon * (days / 365)"),
    # asset_plan rule 5: shares transfer between the record date and the payment
    ("asset_plan", "require today < record_date,", "require true,"),
    # asset_plan rule 6: each holder's part rounded on its own
    ("asset_plan", "if i < len(holders) - 1:", "if true:"),
    # custody rule 3: any insurer reads any holder's policy
    ("custody", "return org == p.insurer_org", "return true"),
    # custody rules 1-2: anyone accepts an endorsement for the holder
    ("custody", "require p.holder == id,", "require true,"),
    # custody rule 4: a terminated policy checks as valid
    ("custody", "valid: current and signed and p.status == InForce", "valid: current and signed"),
    # custody rule 6: a termination dated anywhere
    ("custody", "require p.issued_on <= effective <= today,", "require true,"),
    # reinsurance rule 1: any insurer cedes under any treaty
    ("reinsurance", 'require t.cedent == caller.org, "only {t.cedent} cedes business under treaty {treaty_id}"\n    require t.status == InForce',
     'require true, ""\n    require t.status == InForce'),
    # reinsurance rule 2: a claim on a risk never ceded, or a claim booked twice
    ("reinsurance", "require risk_key in risks,", "require true,"),
    ("reinsurance", "require claim_key not in ceded_claims,", "require true,"),
    # reinsurance rule 3: an excess of loss treaty pays losses occurring outside its period
    ("reinsurance", "require t.start <= loss_date <= t.end,", "require true,"),
    # reinsurance rule 4: no aggregate limit
    ("reinsurance", "max(aggregate - used, zero))", "t.limit)"),
    # reinsurance rule 5: the side owed pays
    ("reinsurance", "require caller.org == payer and caller.role == role_of(a, payer),", "require true,"),
])
def test_scenarios_catch_a_broken_rule(tmp_path: Path, contract: str, old: str, new: str) -> None:
    report = _mutant_report(tmp_path, contract, old, new)
    assert not report.diagnostics, _report_text(report)
    assert report.failed > 0


def test_baochain_test_passes_on_the_contracts_folder() -> None:
    from node.cli import cli

    result = CliRunner().invoke(cli, ["test", str(CONTRACTS)])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\d+ passed, 0 failed$", result.output.strip().splitlines()[-1])
