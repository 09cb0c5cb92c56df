// A state proof checked in the browser with WebCrypto's SHA-256 (the intl suite), by the rules of
// node/ledger/merkle.py and node/ledger/proof.py:
//   key hash kh = H(key); value hash vh = H(codec.encode([value, block, tx]));
//   leaf H(0x00 || kh || vh); branch H(0x01 || left || right); an empty subtree is 32 zero bytes;
//   siblings run from the root's children down, and the side at depth d is bit d of kh, most
//   significant bit first (1: the path goes right, the sibling is on the left).
// The value hash's preimage is rebuilt here from the value and version (the codec's canonical
// MessagePack of a 3-element list: 0x93, the value as bin 8/16/32, block and tx as the shortest
// unsigned ints) and compared byte by byte with the node's "value_preimage", so the page hashes
// exactly the value it shows. The gm suite's SM3 is not in WebCrypto: for gm the page says the node
// checked the proof.

const LEAF = 0x00;
const BRANCH = 0x01;
const N = 32;

export function bytes(hex) {
  if (hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not hex: ${hex.slice(0, 20)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function hex(data) {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bigEndian(value, size) {
  const out = new Uint8Array(size);
  let v = BigInt(value);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// MessagePack's shortest form of an unsigned int below 2**64 (the codec's rule for ints that fit).
function uint(value) {
  const v = BigInt(value);
  if (v < 0n || v >= 2n ** 64n) throw new Error(`a version number must be below 2**64: ${value}`);
  if (v < 0x80n) return Uint8Array.of(Number(v));
  if (v < 0x100n) return concat(Uint8Array.of(0xcc), bigEndian(v, 1));
  if (v < 0x10000n) return concat(Uint8Array.of(0xcd), bigEndian(v, 2));
  if (v < 0x100000000n) return concat(Uint8Array.of(0xce), bigEndian(v, 4));
  return concat(Uint8Array.of(0xcf), bigEndian(v, 8));
}

function bin(data) {
  if (data.length < 0x100) return concat(Uint8Array.of(0xc4, data.length), data);
  if (data.length < 0x10000) return concat(Uint8Array.of(0xc5), bigEndian(data.length, 2), data);
  return concat(Uint8Array.of(0xc6), bigEndian(data.length, 4), data);
}

// codec.encode([value, block, tx]): what a leaf's value hash covers.
export function versionedPreimage(value, block, tx) {
  return concat(Uint8Array.of(0x93), bin(value), uint(block), uint(tx));
}

async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
}

function same(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function bit(data, d) {
  return (data[d >> 3] >> (7 - (d & 7))) & 1;
}

// Checks `proof` (a ProofView: suite, key, value, version, siblings, other, value_preimage) against the
// state root `rootHex`. Returns {ok: true} or {ok: false, reason}; {ok: null, reason} when this browser
// cannot check it (the gm suite).
export async function checkProof(proof, rootHex) {
  if (proof.suite !== "intl") return { ok: null, reason: "gm" };
  const key = bytes(proof.key);
  const kh = await sha256(key);
  const siblings = proof.siblings.map((s) => (s === "" ? new Uint8Array(N) : bytes(s)));
  if (siblings.length > 8 * N || siblings.some((s) => s.length !== N)) return { ok: false, reason: "siblings" };
  let node;
  if (proof.value !== null && proof.value !== undefined) {
    if (!proof.version) return { ok: false, reason: "version" };
    const preimage = versionedPreimage(bytes(proof.value), proof.version[0], proof.version[1]);
    if (!same(preimage, bytes(proof.value_preimage ?? ""))) return { ok: false, reason: "preimage" };
    node = await sha256(Uint8Array.of(LEAF), kh, await sha256(preimage));
  } else if (proof.other) {
    const [okh, ovh] = proof.other.map(bytes);
    if (same(okh, kh)) return { ok: false, reason: "other" };
    for (let d = 0; d < siblings.length; d++) if (bit(okh, d) !== bit(kh, d)) return { ok: false, reason: "other" };
    node = await sha256(Uint8Array.of(LEAF), okh, ovh);
  } else {
    node = new Uint8Array(N);
  }
  for (let d = siblings.length - 1; d >= 0; d--) {
    node = bit(kh, d) ? await sha256(Uint8Array.of(BRANCH), siblings[d], node) : await sha256(Uint8Array.of(BRANCH), node, siblings[d]);
  }
  return same(node, bytes(rootHex)) ? { ok: true, root: rootHex } : { ok: false, reason: "root" };
}
