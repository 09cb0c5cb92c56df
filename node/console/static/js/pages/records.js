// A record's history: pick a contract, one of its state variables, and (for a map) a key; the page
// shows every VALID transaction that changed that record, oldest first, with the value before and
// after, and the Merkle proof of its current value, checked in this browser (proof.js) against the
// state hash in the header of the block after the proof's block (or, while that block does not exist
// yet, the state after the proof's block as the block view gives it). Route:
// #/CH/records/CONTRACT/VARIABLE/KEY, the key as its section-7 JSON.

import * as api from "../api.js";
import { t, time } from "../i18n.js";
import { checkProof } from "../proof.js";
import { h, json, link, short, table } from "../ui.js";

export const KEYS_PAGE = 50;

async function contractsOf(ctx) {
  const ch = api.enc(ctx.channel);
  const view = await api.get(`/channels/${ch}`);
  return h("div", {}, h("h2", {}, t("records.pick_contract")),
    h("ul", { class: "choices", id: "record-contracts" }, view.contracts.map((c) => h("li", {}, link(`${ch}/records/${api.enc(c.name)}`, c.name)))));
}

async function variablesOf(ctx, contract) {
  const ch = api.enc(ctx.channel);
  const found = await api.get(`/channels/${ch}/contracts/${api.enc(contract)}/records`);
  const rows = found.variables.map((v) => [
    link(`${ch}/records/${api.enc(contract)}/${api.enc(v.name)}`, v.name, { class: "variable-link" }),
    v.kind === "map" ? `Map[${v.key_types.join(", ")}] → ${v.value_type}` : v.value_type,
  ]);
  return h("div", {}, h("h2", {}, t("records.pick_variable", { contract })), table([t("records.variable"), t("records.type")], rows, { id: "variables" }));
}

async function keysOf(ctx, contract, variable, after) {
  const ch = api.enc(ctx.channel);
  const base = `/channels/${ch}/contracts/${api.enc(contract)}/records/${api.enc(variable)}`;
  const page = await api.get(base, { after, limit: KEYS_PAGE });
  const route = (key) => `${ch}/records/${api.enc(contract)}/${api.enc(variable)}/${api.enc(JSON.stringify(key))}`;
  const list = h("ul", { class: "choices", id: "record-keys" }, page.keys.map((k) => h("li", {}, link(route(k), k === null ? t("records.the_value") : JSON.stringify(k), { class: "key-link" }))));
  const more = h("p", {});
  if (page.next !== null && page.next !== undefined) {
    more.append(h("button", { type: "button", onclick: async () => more.replaceWith(await keysOf(ctx, contract, variable, page.next)) }, t("records.more_keys")));
  }
  return h("div", {}, list, more);
}

async function root(ctx, proof) {
  if (proof.header) return { hash: proof.header.state_hash, words: t("proof.against_header", { number: proof.header.number }) };
  const block = await api.get(`/channels/${api.enc(ctx.channel)}/blocks/${proof.block}`);
  return { hash: block.state_after, words: t("proof.against_state_after", { number: proof.block }) };
}

async function proofPanel(ctx, proof) {
  if (proof.suite !== "intl") {
    return h("p", { class: "proof gm", id: "proof-status", dataset: { ok: "node" } }, t("proof.gm"));
  }
  const against = await root(ctx, proof);
  const result = await checkProof(proof, against.hash);
  return h("div", { class: `proof ${result.ok ? "ok" : "bad"}` },
    h("p", { id: "proof-status", dataset: { ok: String(result.ok) } },
      result.ok ? `✓ ${t("proof.checked")}` : `✗ ${t("proof.failed", { reason: result.reason })}`),
    h("p", { class: "muted" }, against.words, " ", h("code", { title: against.hash }, short(against.hash)),
      ` · ${t("proof.siblings", { count: proof.siblings.length })}`));
}

async function historyOf(ctx, contract, variable, keyText) {
  const ch = api.enc(ctx.channel);
  const params = keyText === "null" || keyText === undefined ? {} : { key: keyText };
  const found = await api.get(`/channels/${ch}/contracts/${api.enc(contract)}/records/${api.enc(variable)}/history`, params);
  const rows = found.history.map((c) => [
    link(`${ch}/block/${c.block}`, String(c.block)),
    link(`${ch}/tx/${c.tx_id}`, short(c.tx_id), { title: c.tx_id, class: "tx-link" }),
    time(c.time),
    c.creator ? `${c.creator.name}@${c.creator.org}${c.creator.role ? ` (${c.creator.role})` : ""}` : "—",
    c.entry ?? "—",
    json(c.before),
    json(c.after),
  ]);
  return h("div", {},
    h("h2", {}, t("records.history_of", { record: `${variable}${params.key ? `[${params.key}]` : ""}` })),
    h("p", { class: "muted" }, t("records.ledger_key"), " ", h("code", { class: "wrap" }, found.ledger_key)),
    h("h3", {}, t("records.current")), h("div", { id: "record-value" }, json(found.value)),
    h("h3", {}, t("records.proof")), h("div", { id: "proof" }, await proofPanel(ctx, found.proof)),
    h("h3", {}, t("records.changes", { count: found.history.length })),
    table([t("tx.block"), t("tx.id"), t("tx.time"), t("tx.creator"), t("tx.entry"), t("records.before"), t("records.after")], rows, { id: "record-history" }));
}

export async function render(ctx, args) {
  const [contract, variable, key] = args;
  const crumbs = h("p", { class: "crumbs" }, link(`${api.enc(ctx.channel)}/records`, t("records.title")),
    contract ? [" › ", link(`${api.enc(ctx.channel)}/records/${api.enc(contract)}`, contract)] : null,
    variable ? [" › ", link(`${api.enc(ctx.channel)}/records/${api.enc(contract)}/${api.enc(variable)}`, variable)] : null);
  let body;
  if (!contract) body = await contractsOf(ctx);
  else if (!variable) body = await variablesOf(ctx, contract);
  else if (key === undefined) {
    const found = await api.get(`/channels/${api.enc(ctx.channel)}/contracts/${api.enc(contract)}/records`);
    const v = found.variables.find((x) => x.name === variable);
    body = v && v.kind === "value" ? await historyOf(ctx, contract, variable, undefined) : await keysOf(ctx, contract, variable, null);
  } else body = await historyOf(ctx, contract, variable, key);
  return { element: h("div", {}, h("h1", {}, t("records.title")), crumbs, body) };
}
