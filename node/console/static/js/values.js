// Values an entry form sends, checked in the browser as LANGUAGE.md section 7 (and vm/values/jsonform.py)
// reads them, so a reader learns what is wrong before anything is sent; the node checks again and its
// refusal, if any, is shown as a message too.
//
// Types are the ABI's names: Int, Decimal, Money, Percent, Date, Duration, Timestamp, Text, Bool, Hash,
// Party, List[T], Map[K, V], a record of the contract (abi.records), an enum of it (abi.enums).
// check(type, value, where) returns the JSON to send or throws CheckError naming where, in the node's
// words: 'argument policy.start: expected a Date like "2024-03-01", got "2024-3-1"'. Facts the node owns
// (the currencies' minor digits, the Duration units) come from the page's facts block.

import { facts } from "./i18n.js";

const INT_LIMIT = 2n ** 255n;
// The JSON forms, as vm/values/jsonform.py matches them before parsing (no "_" separators in JSON).
const FIXED = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;
const WHOLE = /^-?[0-9]+$/;
const TIMESTAMP = /^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;
const SCALARS = ["Int", "Decimal", "Money", "Percent", "Date", "Duration", "Timestamp", "Text", "Bool", "Hash", "Party"];

export const EXPECTED = {
  Int: "an Int (a whole number, or a string of digits when large)",
  Decimal: 'a Decimal like "1.25"',
  Money: 'Money like "1200.50 CNY"',
  Percent: 'a Percent like "80%"',
  Date: 'a Date like "2024-03-01"',
  Duration: 'a Duration like "30 days"',
  Timestamp: 'a Timestamp like "2024-03-01T09:30:00+08:00"',
  Text: "a Text (a JSON string)",
  Bool: "true or false",
  Hash: 'a Hash like "0x" followed by 64 hex digits',
  Party: 'a Party like {"org": "PICC", "id": "PICC", "role": "insurer"}',
};

export class CheckError extends Error {}

// "Map[Text, List[Money]]" -> {kind: "map", key: {kind: "scalar", name: "Text"}, value: {kind: "list", of: ...}};
// a record's field types are resolved when read (records may refer to each other): see typeOf.
function parseType(text, abi) {
  const s = text.trim();
  const open = s.indexOf("[");
  if (open < 0) {
    if (SCALARS.includes(s)) return { kind: "scalar", name: s };
    if (abi?.enums?.[s]) return { kind: "enum", name: s, values: abi.enums[s] };
    if (abi?.records?.[s]) return { kind: "record", name: s, fields: abi.records[s] };
    return { kind: "unknown", name: s };
  }
  const head = s.slice(0, open);
  const inner = s.slice(open + 1, -1);
  if (head === "List") return { kind: "list", name: s, of: parseType(inner, abi) };
  if (head === "Map") {
    let depth = 0;
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === "[") depth++;
      else if (inner[i] === "]") depth--;
      else if (inner[i] === "," && depth === 0) {
        return { kind: "map", name: s, key: parseType(inner.slice(0, i), abi), value: parseType(inner.slice(i + 1), abi) };
      }
    }
  }
  return { kind: "unknown", name: s };
}

function preview(value) {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function fail(where, type, value) {
  throw new CheckError(`${where}: expected ${EXPECTED[type] ?? type}, got ${preview(value)}`);
}

// A fixed-point figure with at most `places` fractional digits whose scaled magnitude stays below 2**255
// (vm/values/literals.py parse_fixed); `text` already matched FIXED.
function fixed(text, places, where, value) {
  const m = FIXED.exec(text);
  const fraction = m[3] ?? "";
  if (fraction.length > places) {
    throw new CheckError(places ? `${where}: ${preview(value)} has more than ${places} fractional digits`
      : `${where}: ${preview(value)} takes no fractional digits`);
  }
  if (BigInt(m[2] + fraction.padEnd(places, "0")) >= INT_LIMIT) {
    throw new CheckError(`${where}: ${preview(value)} is out of range (the magnitude must stay below 2^255)`);
  }
}

function daysIn(year, month) {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// "YYYY-MM-DD" naming a day of the proleptic Gregorian calendar, year 0001 or later.
function validDate(text) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

function scalar(name, value, where) {
  const text = typeof value === "string" ? value : null;
  switch (name) {
    case "Int":
      if (typeof value === "number") {
        if (!Number.isSafeInteger(value)) {
          throw new CheckError(`${where}: ${preview(value)} is not a whole number (section 7 writes a Decimal as text, "1.25")`);
        }
        return value;
      }
      if (text === null || !WHOLE.test(text)) fail(where, name, value);
      fixed(text, 0, where, value);
      return value;
    case "Decimal":
      if (typeof value === "number") {
        if (!Number.isSafeInteger(value)) throw new CheckError(`${where}: write a Decimal as a string, there are no floats`);
        return value;
      }
      if (text === null || !FIXED.test(text)) fail(where, name, value);
      fixed(text, 18, where, value);
      return value;
    case "Money": {
      const m = text === null ? null : /^(\S+) ([A-Za-z]{3})$/.exec(text);
      if (!m || !FIXED.test(m[1])) fail(where, name, value);
      const digits = facts.currencies[m[2]];
      if (digits === undefined) throw new CheckError(`${where}: unknown currency ${JSON.stringify(m[2])}: expected an ISO 4217 code such as CNY, USD, EUR`);
      if ((FIXED.exec(m[1])[3] ?? "").length > digits) {
        throw new CheckError(`${where}: invalid amount ${text}: ${m[2]} has ${digits ? `${digits} minor digits` : "no minor unit"}`);
      }
      fixed(m[1], digits, where, value);
      return value;
    }
    case "Percent":
      if (text === null || !text.endsWith("%") || !FIXED.test(text.slice(0, -1))) fail(where, name, value);
      fixed(text.slice(0, -1), 16, where, value);
      return value;
    case "Date":
      if (text === null || !validDate(text)) fail(where, name, value);
      return value;
    case "Duration": {
      const m = text === null ? null : /^(\S+) (\S+)$/.exec(text);
      if (!m || !WHOLE.test(m[1]) || !Object.hasOwn(facts.duration_units, m[2])) fail(where, name, value);
      const days = BigInt(m[1]) * BigInt(facts.duration_units[m[2]]);
      if (days >= INT_LIMIT || -days >= INT_LIMIT) throw new CheckError(`${where}: ${text} is out of range`);
      return value;
    }
    case "Timestamp": {
      const m = text === null ? null : TIMESTAMP.exec(text);
      if (!m || !validDate(m[1]) || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) fail(where, name, value);
      if ((m[5] ?? "").replace(/0+$/, "").length > 3) throw new CheckError(`${where}: a Timestamp has at most millisecond precision`);
      if (!/^[Zz]$/.test(m[6]) && (Number(m[6].slice(1, 3)) > 23 || Number(m[6].slice(4, 6)) > 59)) {
        throw new CheckError(`${where}: ${preview(value)}: no such time zone offset`);
      }
      return value;
    }
    case "Text":
      if (text === null) fail(where, name, value);
      return value;
    case "Bool":
      if (typeof value !== "boolean") fail(where, name, value);
      return value;
    case "Hash":
      if (text === null || !/^0[xX][0-9a-fA-F]{64}$/.test(text)) fail(where, name, value);
      return value;
    case "Party": {
      const ok = value && typeof value === "object" && !Array.isArray(value)
        && Object.keys(value).sort().join(",") === "id,org,role"
        && ["org", "id", "role"].every((k) => typeof value[k] === "string");
      if (!ok) fail(where, name, value);
      return value;
    }
    default:
      return fail(where, name, value);
  }
}

// Map keys are written as their text forms: an Int key "42", a Bool key "true", a Party key "role:org/id",
// the rest as section 7 writes them.
function mapKey(type, text, where) {
  if (type.kind === "scalar" && type.name === "Int") return scalar("Int", WHOLE.test(text) ? text : NaN, where);
  if (type.kind === "scalar" && type.name === "Bool") {
    if (text !== "true" && text !== "false") fail(where, "Bool", text);
    return text;
  }
  if (type.kind === "scalar" && type.name === "Party") {
    if (!/^[^:]*:[^/]*\/.*$/s.test(text)) throw new CheckError(`${where}: a Party key is written role:org/id`);
    return text;
  }
  return check(type, text, where);
}

export function check(type, value, where) {
  switch (type.kind) {
    case "scalar":
      return scalar(type.name, value, where);
    case "enum":
      if (!type.values.includes(value)) {
        throw new CheckError(`${where}: expected one of ${type.values.join(", ")} (${type.name}), got ${preview(value)}`);
      }
      return value;
    case "list":
      if (!Array.isArray(value)) throw new CheckError(`${where}: expected a list (a JSON array), got ${preview(value)}`);
      return value.map((v, i) => check(type.of, v, `${where}[${i}]`));
    case "map": {
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new CheckError(`${where}: expected a map (a JSON object keyed by text), got ${preview(value)}`);
      }
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        mapKey(type.key, k, `${where} key ${JSON.stringify(k)}`);
        out[k] = check(type.value, v, `${where}[${JSON.stringify(k)}]`);
      }
      return out;
    }
    case "record": {
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new CheckError(`${where}: expected a ${type.name} (a JSON object of its fields), got ${preview(value)}`);
      }
      const fields = Object.fromEntries(type.fields.map((f) => [f.name, f.type]));
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        if (!Object.hasOwn(fields, k)) throw new CheckError(`${where}: ${type.name} has no field ${k} (it has: ${Object.keys(fields).join(", ")})`);
        out[k] = check(type.resolve(fields[k]), v, `${where}.${k}`);
      }
      return out; // a field left out is the node's to judge: it knows the record's defaults
    }
    default:
      return value; // a type this page does not know: the node checks it
  }
}

// An example value of a type, for a field's placeholder.
export function example(type, depth = 0) {
  switch (type.kind) {
    case "scalar":
      return { Int: 1, Decimal: "1.25", Money: "100.00 CNY", Percent: "20%", Date: "2026-01-01", Duration: "30 days",
        Timestamp: "2026-01-01T09:30:00+08:00", Text: "text", Bool: true, Hash: `0x${"0".repeat(64)}`,
        Party: { org: "Org", id: "Org", role: "insurer" } }[type.name];
    case "enum":
      return type.values[0];
    case "list":
      return depth > 2 ? [] : [example(type.of, depth + 1)];
    case "map":
      return depth > 2 ? {} : { [String(example(type.key, depth + 1))]: example(type.value, depth + 1) };
    case "record":
      return depth > 2 ? {} : Object.fromEntries(type.fields.map((f) => [f.name, example(type.resolve(f.type), depth + 1)]));
    default:
      return null;
  }
}

// A record's fields are resolved lazily (records may refer to each other); parseType gives each record
// type a resolve() bound to the ABI.
export function typeOf(text, abi) {
  const resolved = parseType(text, abi);
  const bind = (t) => {
    if (t.kind === "record") t.resolve = (name) => typeOf(name, abi);
    if (t.kind === "list") bind(t.of);
    if (t.kind === "map") { bind(t.key); bind(t.value); }
    return t;
  };
  return bind(resolved);
}

// How a form field reads its text into a value: a scalar is typed as it is written (an Int as digits,
// Text as it is), anything else as JSON.
export function isPlain(type) {
  return (type.kind === "scalar" && type.name !== "Party") || type.kind === "enum";
}

export function read(type, text, where) {
  if (isPlain(type)) {
    if (type.kind === "scalar" && type.name === "Int") {
      const t = text.trim();
      if (WHOLE.test(t)) return check(type, Number.isSafeInteger(Number(t)) ? Number(t) : t, where);
      return check(type, t, where);
    }
    if (type.kind === "scalar" && type.name === "Bool") return check(type, text === "true" ? true : text === "false" ? false : text, where);
    if (type.kind === "scalar" && type.name === "Text") return check(type, text, where);
    return check(type, text.trim(), where);
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CheckError(`${where}: not JSON (write ${type.name} as JSON, for example ${JSON.stringify(example(type))})`);
  }
  return check(type, value, where);
}
