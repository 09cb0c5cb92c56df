"""The `baochain dev` command (the package docstring says what it makes and why)."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from node.client.errors import ClientError
from node.network import control
from node.network.errors import NetworkError
from node.network.init import init_network
from node.network.layout import NetworkIndex, NetworkLayout
from node.network.spec import parse_spec

DEV_FOLDER = ".baochain-dev"
ORG = "DevOrg"
CHANNEL = "dev"
USER = "alice"
ROLES = ("insurer", "hospital", "bank", "reinsurer", "trustee", "custodian", "customer", "investor", "principal",
         "regulator")
SPEC = f'''
suite = "gm"
consensus = "solo"

[[orgs]]
name = "{ORG}"
roles = [{", ".join(f'"{r}"' for r in ROLES)}]

[[channels]]
name = "{CHANNEL}"
orgs = ["{ORG}"]
regulators = ["{ORG}"]
'''
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
# The init arguments of the shipped contracts that take some, and the role that runs the init (an
# admin deploys, acting in one of its organisation's roles; DevOrg holds them all).
INIT_ARGS: dict[str, tuple[str, list[Any]]] = {
    "pension": ("trustee", ["30%", 60]),
}
ISSUE_ARGS = ["P-1001", {"holder": "Li Lei", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY",
                         "copay": "20%", "start": "2026-01-01", "end": "2026-12-31"}]


def say(line: str = "") -> None:
    click.echo(line)
    sys.stdout.flush()


@click.command("dev", short_help="A one-node development chain with every contract deployed, until Ctrl-C.")
@click.option("--suite", type=click.Choice(["gm", "intl"]), default="gm", show_default=True,
              help="The crypto suite: gm (SM2/SM3/SM4) or intl (P-256/SHA-256/AES).")
def dev(suite: str) -> None:
    """Start a fresh development chain in ./.baochain-dev: one node (solo ordering) of one
    organisation with identities for every role of the shipped contracts, one channel `dev`,
    every contract of contracts/ deployed, and `alice`, an insurer's app user. Prints the API's
    address, alice's password and two curl commands (log in, then invoke), and serves until
    Ctrl-C, then stops the node."""
    folder = Path.cwd() / DEV_FOLDER
    stopping = {"now": False}

    def stop(signum: int, frame: Any) -> None:  # noqa: ARG001 - the signal module's signature
        stopping["now"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        _fresh(folder)
        index = _make(folder, suite)
        api = _api(index)
        say(f"starting the node ({suite} suite) ...")
        control.up(folder, progress=lambda line: say(f"  {line}"))
        _deploy(folder)
        password = _user(folder)
        say()
        say(f"API: {api}   (OpenAPI page: {api}/docs)")
        say(f"console: {api}/console   (log in as {USER} in a browser on this machine)")
        say(f"user: {USER}, an application user of the insurer {ORG}; password: {password}")
        say("1. log in as alice (sets TOKEN):")
        say(_login_command(api, password))
        say("2. issue a health policy as alice through the contract `health`, and show the JSON answer:")
        say(_invoke_command(api))
        say()
        say(f"the chain, its wallet and the node's log are in {folder}; Ctrl-C stops the node")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        say()
        say("stopping ...")
    except (NetworkError, ClientError, click.ClickException) as exc:
        _stop(folder)
        raise click.ClickException(str(exc)) from None
    _stop(folder)
    say("stopped")
    if stopping["now"]:
        sys.exit(143)


def _fresh(folder: Path) -> None:
    """Stop the node of an earlier run and remove its folder; refuse a folder that is not ours."""
    if not folder.exists():
        return
    if not (folder / "network.json").exists() and any(folder.iterdir()):
        raise click.ClickException(f"{folder} exists and is not a development chain of `baochain dev`; move it away")
    if (folder / "network.json").exists():
        try:
            control.down(folder, timeout_s=15)
        except NetworkError:
            pass
    shutil.rmtree(folder)


def _make(folder: Path, suite: str) -> NetworkIndex:
    """The network, with its node's API on plain HTTP (loopback only)."""
    spec = parse_spec(SPEC.replace('suite = "gm"', f'suite = "{suite}"'), "baochain dev")
    say(f"making a chain in {folder}: organisation {ORG}, channel {CHANNEL}")
    index = init_network(spec, folder)
    layout = NetworkLayout(folder)
    for node in index.nodes:  # no [api] certificate: plain HTTP, which the node allows on loopback only
        path = layout.node_config(node.name)
        text = path.read_text("utf-8")
        text = re.sub(r"\n\[api\]\n(?:[^\[\n][^\n]*\n)*", "\n", text)
        layout.replace(path, text.encode("utf-8"))
    plain = replace(index, nodes=tuple(replace(n, api=f"http://{n.api}") for n in index.nodes))
    layout.save_index(plain)
    return plain


def _api(index: NetworkIndex) -> str:
    return index.nodes[0].api


def _deploy(folder: Path) -> None:
    from node.client.gateway import Gateway

    with Gateway.for_network(folder, f"admin@{ORG}") as gateway:
        network = gateway.network(CHANNEL)
        for file in sorted(CONTRACTS.glob("*.bao")):
            if file.name.endswith(".test.bao"):
                continue
            name = file.stem
            role, args = INIT_ARGS.get(name, (None, []))
            # The source, not a module: the node keeps it, so the console shows the contract's document.
            done = network.deploy(file.read_text("utf-8"), name, "1", "majority", args, role)
            say(f"  deployed {name} (contracts/{file.name}) in block {done.block}")


def _user(folder: Path) -> str:
    from node.client.gateway import Gateway
    from node.users.client import UserAdmin

    password = secrets.token_urlsafe(12)
    with Gateway.for_network(folder, f"admin@{ORG}") as gateway:
        admin = UserAdmin(gateway)
        admin.register(USER, password, roles=["insurer"])
        admin.approve(USER)
    say(f"  registered {USER} (role insurer) at {ORG}'s CA, approved by admin@{ORG}")
    return password


def _login_command(api: str, password: str) -> str:
    body = json.dumps({"name": USER, "password": password})
    return (f"TOKEN=$(curl -s -X POST {api}/api/v1/sessions -H 'Content-Type: application/json' -d '{body}' "
            "| python3 -c 'import json, sys; print(json.load(sys.stdin)[\"token\"])')")


def _invoke_command(api: str) -> str:
    body = json.dumps({"args": ISSUE_ARGS})
    return (f"curl -s -X POST {api}/api/v1/channels/{CHANNEL}/contracts/health/invoke/issue "
            f"-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{body}' "
            "| python3 -m json.tool")


def _stop(folder: Path) -> None:
    try:
        control.down(folder, timeout_s=15)
    except NetworkError:
        pass
