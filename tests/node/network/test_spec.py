"""The network spec: what `network init` accepts, and the precise refusal of everything else."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.network.errors import SpecError
from node.network.spec import ChannelSpec, IdentitySpec, NetworkSpec, OrgSpec, load_spec, parse_spec, spec_for_orgs
from node.network.toml_text import document

ORGS = """suite = "intl"

[[orgs]]
name = "PICC"
roles = ["insurer"]

[[orgs]]
name = "Ruijin"
roles = ["hospital"]

[[orgs]]
name = "CBIRC"
roles = ["regulator"]
"""  # 13 lines

CHANNEL = """
[[channels]]
name = "claims"
orgs = ["PICC", "Ruijin", "CBIRC"]
regulators = ["CBIRC"]
"""  # 5 lines: a blank one, then the table


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    return str(caught.value)


def test_a_spec_reads_into_organisations_channels_and_identities() -> None:
    spec = parse_spec(ORGS + CHANNEL + '\n[[channels]]\nname = "private"\norgs = ["Ruijin", "PICC"]\n')
    assert spec.suite == "intl" and spec.consensus == "pbft"
    assert spec.orgs == (OrgSpec("PICC", ("insurer",)), OrgSpec("Ruijin", ("hospital",)),
                         OrgSpec("CBIRC", ("regulator",)))
    assert spec.channels[1] == ChannelSpec("private", ("Ruijin", "PICC"), ())
    # Solo orders on the node of the spec's first organisation that is a member.
    assert spec.orderer(spec.channels[1]) == "peer0-picc"
    assert [c.name for c in spec.channels_of("CBIRC")] == ["claims"]
    assert spec.identities("CBIRC") == (IdentitySpec("admin", "CBIRC", "admin", ()),
                                        IdentitySpec("regulator", "CBIRC", "regulator", ("regulator",)))
    assert spec.identities("PICC")[1].id == "insurer@PICC"
    assert spec.peer("Ruijin") == IdentitySpec("peer0-ruijin", "Ruijin", "peer", ())


def test_the_normal_form_reads_back_as_the_same_spec() -> None:
    spec = parse_spec(ORGS + CHANNEL)
    text = spec.to_toml()
    assert parse_spec(text) == spec
    assert 'orgs = ["PICC", "Ruijin", "CBIRC"]' in text


def test_names_are_kept_in_nfc() -> None:
    spec = parse_spec('suite = "gm"\n[[orgs]]\nname = "Cafe\u0301"\n[[channels]]\nname = "c"\norgs = ["Caf\u00e9"]\n')
    assert spec.orgs[0].name == "Caf\u00e9" and spec.orgs[0].node == "peer0-caf\u00e9"


def test_orgs_n_is_one_channel_main_of_insurers() -> None:
    spec = spec_for_orgs(3, "gm")
    assert [o.name for o in spec.orgs] == ["Org1", "Org2", "Org3"]
    assert all(o.roles == ("insurer",) for o in spec.orgs)
    assert spec.channels == (ChannelSpec("main", ("Org1", "Org2", "Org3")),)
    assert parse_spec(spec.to_toml()) == spec


@pytest.mark.parametrize("text, message", [
    (ORGS + '\n[[channels]]\nname = "c"\norgs = ["PICC", "Org9"]\n',
     "network.toml:17: channels[0].orgs[1]: 'Org9' is not an organisation of the network (PICC, Ruijin, CBIRC)"),
    (ORGS + '\n[[channels]]\nname = "c"\norgs = ["picc"]\n',
     "network.toml:17: channels[0].orgs[0]: 'picc' is not an organisation of the network (PICC, Ruijin, CBIRC); "
     "did you mean 'PICC'?"),
    (ORGS + CHANNEL.replace("regulators", "regulator"),
     "network.toml:18: channels[0].regulator: unknown key; did you mean 'regulators'?"),
    ('suite = "intl"\nnodes = 3\n' + ORGS[15:] + CHANNEL,
     "network.toml:2: nodes: unknown key; the keys of a network spec are suite, consensus, orgs, channels"),
    (ORGS.replace('roles = ["hospital"]', 'role = ["hospital"]') + CHANNEL,
     "network.toml:9: orgs[1].role: unknown key; did you mean 'roles'?"),
    (ORGS.replace('"intl"', '"sm2"') + CHANNEL, "network.toml:1: suite: 'sm2' is not a crypto suite; one of: gm, intl"),
    ('consensus = "raft"\n' + ORGS + CHANNEL, "network.toml:1: consensus: 'raft' is not available; one of: solo, pbft"),
    (ORGS, "network.toml: a network spec needs 'channels' (its keys: suite, consensus, orgs, channels)"),
    (ORGS[15:] + CHANNEL, "network.toml: a network spec needs 'suite' (its keys: suite, consensus, orgs, channels)"),
    ('suite = "gm"\norgs = []\nchannels = []\n', "network.toml:2: orgs: a network needs at least one organisation"),
    ('suite = "gm"\norgs = 3\nchannels = []\n',
     "network.toml:2: orgs: expected organisations, each a [[orgs]] table, got an integer"),
    (ORGS + '\n[[orgs]]\nroles = ["bank"]\n' + CHANNEL,
     "network.toml:15: orgs[3]: an organisation needs 'name' (its keys: name, roles)"),
    (ORGS + '\n[[orgs]]\nname = "picc"\n' + CHANNEL,
     "network.toml:16: orgs[3].name: 'picc' differs only in case from orgs[0].name 'PICC'; "
     "each organisation has its own folder and node name"),
    (ORGS + '\n[[orgs]]\nname = "PICC"\n' + CHANNEL,
     "network.toml:16: orgs[3].name: 'PICC' is already the name of orgs[0]; each organisation has its own folder "
     "and node name"),
    (ORGS + '\n[[orgs]]\nname = "Org/4"\n' + CHANNEL,
     "network.toml:16: orgs[3].name: organisation 'Org/4' is not allowed: '/' separates folders in a path"),
    (ORGS + '\n[[orgs]]\nname = 4\n' + CHANNEL,
     "network.toml:16: orgs[3].name: expected organisation as text, got an integer"),
    (ORGS + f'\n[[orgs]]\nname = "{"X" * 60}"\n' + CHANNEL,
     f"network.toml:16: orgs[3].name: the name of its node 'peer0-{'x' * 60}' is not allowed: "
     "it is 66 characters long; at most 64"),
    (ORGS.replace('["hospital"]', '["Hospital"]') + CHANNEL,
     "network.toml:9: orgs[1].roles[0]: role 'Hospital' must be a lowercase word (letters, digits, _)"),
    (ORGS.replace('["hospital"]', '["hospital", "hospital"]') + CHANNEL,
     "network.toml:9: orgs[1].roles[1]: 'hospital' is listed twice"),
    (ORGS.replace('["hospital"]', '"hospital"') + CHANNEL,
     "network.toml:9: orgs[1].roles: expected an array of role names, got text"),
    (ORGS.replace('["hospital"]', '["admin"]') + CHANNEL,
     "network.toml:9: orgs[1].roles[0]: 'admin' is not a role: every organisation has its admin identity "
     "admin@ORG; name the party role it acts in instead"),
    (ORGS.replace('["hospital"]', '["regulator"]') + CHANNEL,
     "network.toml:9: orgs[1].roles[0]: only an organisation that a channel names among its regulators may hold "
     "the role 'regulator'; no channel names 'Ruijin'"),
    (ORGS.replace('["regulator"]', '["auditor"]') + CHANNEL,
     "network.toml:13: orgs[2].roles: channels[0] names 'CBIRC' a regulator, so it needs the role 'regulator' "
     "(its client regulator@CBIRC reads as a regulator)"),
    (ORGS + '\n[[channels]]\nname = "c"\norgs = ["PICC"]\nregulators = ["CBIRC"]\n',
     "network.toml:18: channels[0].regulators[0]: 'CBIRC' is not a member of this channel; a regulator is a "
     "member (it runs a node that keeps the channel): add it to channels[0].orgs"),
    (ORGS + '\n[[channels]]\nname = "c"\norgs = ["PICC"]\nregulators = ["SEC"]\n',
     "network.toml:18: channels[0].regulators[0]: 'SEC' is not an organisation of the network (PICC, Ruijin, CBIRC)"),
    (ORGS + '\n[[channels]]\nname = "c"\norgs = []\n',
     "network.toml:17: channels[0].orgs: a channel needs at least one member organisation"),
    (ORGS + '\n[[channels]]\nname = "c"\norgs = ["PICC", "PICC"]\n',
     "network.toml:17: channels[0].orgs[1]: 'PICC' is listed twice"),
    (ORGS + '\n[[channels]]\norgs = ["PICC"]\n',
     "network.toml:15: channels[0]: a channel needs 'name' (its keys: name, orgs, regulators)"),
    (ORGS + CHANNEL + CHANNEL.replace("claims", "Claims"),
     "network.toml:21: channels[1].name: 'Claims' differs only in case from channels[0].name 'claims'; "
     "each channel has its own genesis file"),
    (ORGS + '\n[[channels]]\nname = "a..b"\norgs = ["PICC"]\n',
     "network.toml:16: channels[0].name: channel 'a..b' is not allowed: it holds '..', which reads as the parent "
     "folder in a path"),
    # TOML's own errors carry the line and column.
    ('suite = gm\n', "network.toml:1:9: not valid TOML: invalid value"),
    # Arrays of tables written inline: no line is certain, so none is given.
    ('suite = "gm"\norgs = [{name = "A"}, {name = "A"}]\nchannels = [{name = "c", orgs = ["A"]}]\n',
     "network.toml: orgs[1].name: 'A' is already the name of orgs[0]; each organisation has its own folder and "
     "node name"),
])
def test_each_refusal_names_the_line_the_key_and_the_rule(text: str, message: str) -> None:
    assert refusal(text) == message


def test_a_file_names_itself_and_its_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "net.toml"
    path.write_bytes(b'suite = "gm"\nname = "Caf\xe9"\n')
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value) == f"{path}:2:12: the byte 0xe9 is not UTF-8 (a TOML file is UTF-8 text)"
    with pytest.raises(SpecError, match=r"missing.toml: cannot read it: No such file"):
        load_spec(tmp_path / "missing.toml")


def test_spec_for_orgs_bounds() -> None:
    with pytest.raises(SpecError, match="a network has 1 to 64"):
        spec_for_orgs(0, "gm")


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_the_toml_writer_writes_any_text_back_exactly(text: str) -> None:
    value = {"a": text, "list": [text, "x"], "n": 7, "t": {"k": text}, "rows": [{"k": text}, {"k": ""}]}
    assert tomllib.loads(document(value)) == value


def test_the_toml_writer_puts_values_before_tables() -> None:
    value = {"t": {"k": 1}, "empty": [], "rows": [{"k": "v"}]}
    text = document(value)
    assert text.index("empty = []") < text.index("[t]")
    assert tomllib.loads(text) == value


def test_a_spec_is_a_value() -> None:
    one = NetworkSpec("gm", (OrgSpec("A"),), (ChannelSpec("c", ("A",)),))
    assert one == parse_spec(one.to_toml())
