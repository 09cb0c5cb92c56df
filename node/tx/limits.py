"""The bounds on every message of the transaction layer, each with its reason.

Proposals, endorsements and envelopes arrive from strangers: a node checks a message's length
before it parses a byte of it, and the parsed fields against the bounds below, so no message
can make a node hold or walk more than these figures allow. The total bounds are sums of the
parts, so nothing that meets the part bounds can fail the total (and a client finds out at
`build`/`sign` time, not from a node). A node's transport frame limit must be at least
`ENVELOPE_MAX_BYTES`.
"""

from __future__ import annotations

from vm.gas import DEFAULT_LIMITS as _VM

# Both suites' hashes (SM3, SHA-256) are 32 bytes; every hash a message carries is one of them.
DIGEST_SIZE = 32
# A DER signature over a 256-bit curve (SM2, ECDSA P-256): SEQUENCE { INTEGER r, INTEGER s }
# is at most 2 + 2 * (2 + 33) = 72 bytes, at least 2 + 2 * 3 = 8.
SIGNATURE_MIN_BYTES = 8
SIGNATURE_MAX_BYTES = 72
# A Baochain certificate is ~600 bytes; roles and attributes (64 names of 64 characters, values of
# 256) could reach ~10 KiB. Anything past 16 KiB is not one the CA issued.
CERTIFICATE_MAX_BYTES = 16 * 1024
# The tx id is the hash of (creator, nonce): 128 bits of randomness make two proposals of one
# creator collide with probability 2^-64 after 2^32 of them; `build` draws 24 bytes. Up to 32
# lets clients in other languages use their own generator's natural size.
NONCE_MIN_BYTES = 16
NONCE_MAX_BYTES = 32
NONCE_BYTES = 24
# Milliseconds since 1970-01-01T00:00:00Z, up to 9999-12-31T23:59:59.999Z (Bao's last Date).
TIMESTAMP_MAX_MS = 253_402_300_799_999
# An entry or event name is a Bao identifier; the language sets no length, 128 characters is
# more than any contract uses and keeps error messages one line.
IDENTIFIER_MAX_CHARACTERS = 128
# Source of the largest shipped contract is 17 KiB, its module smaller: 512 KiB leaves 30 times
# that and keeps a deploy proposal under `PROPOSAL_MAX_BYTES`.
CODE_MAX_BYTES = 512 * 1024
# Arguments: Bao entries take a handful of parameters; 64 is past any sensible signature.
ARGS_MAX = 64
# Nesting of arrays and objects inside one argument, result or event: the language's nesting limit
# for Lists, Maps and records (`vm.gas.Limits.nesting`), plus a Party's object at the bottom and
# an event's object of fields at the top. The VM checks the exact limit with the parameter's name.
JSON_DEPTH_MAX = _VM.nesting + 2
# A JSON integer is an Int (|x| < 2^255, checked with its parameter's name by `vm.jsonform`) or a
# whole Decimal; the format only refuses what no type could hold, and bounds the work of reading it.
JSON_INT_BITS_MAX = 256
# A signed proposal: the code of a deploy plus arguments and a certificate.
PROPOSAL_MAX_BYTES = 1024 * 1024
# ... and the map around it and its signature (field names, headers: well under 128 bytes).
SIGNED_PROPOSAL_MAX_BYTES = PROPOSAL_MAX_BYTES + SIGNATURE_MAX_BYTES + 128
# A simulation's read set: every read costs at least 200 gas and every scanned entry 50 (vm.gas),
# so at the default 10M gas limit a call reads at most 200,000 keys; half of that is the bound
# (a channel that sets a higher gas limit meets it sooner than the gas limit).
READS_MAX = 100_000
# The VM refuses a call that writes more keys (`vm.gas.Limits.writes`) or emits more events.
WRITES_MAX = _VM.writes
EVENTS_MAX = _VM.events
# Each scanned prefix is a Map state variable; a contract declares far fewer.
SCANS_MAX = 1_024
# An abort message: the VM's longest Text (16 Ki code points) and the words around it.
ABORT_MESSAGE_MAX_CHARACTERS = 2 * _VM.text_length
# A simulation result: at the default gas limit a call moves at most 2 MiB of writes (5 gas a
# byte) and the keys of its reads; 4 MiB holds both.
RESPONSE_MAX_BYTES = 4 * 1024 * 1024
# An endorsement: the result, the endorser's certificate and signature, the map around them.
ENDORSEMENT_MAX_BYTES = RESPONSE_MAX_BYTES + CERTIFICATE_MAX_BYTES + SIGNATURE_MAX_BYTES + 64
# Organisations a policy names, and endorsements an envelope holds: a consortium's size, with room.
POLICY_ORGS_MAX = 64
ENDORSEMENTS_MAX = POLICY_ORGS_MAX
# An envelope: the proposal, the result once, and (certificate, signature) per endorsement.
ENVELOPE_MAX_BYTES = (
    PROPOSAL_MAX_BYTES + RESPONSE_MAX_BYTES
    + ENDORSEMENTS_MAX * (CERTIFICATE_MAX_BYTES + SIGNATURE_MAX_BYTES + 16) + 1024
)
# Counters a message carries (gas, block numbers, transaction positions): the codec's native range.
COUNTER_MAX = 2**63 - 1
