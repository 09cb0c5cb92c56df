// A transaction (GET .../transactions/{id}): its status, and once committed its block, creator (org,
// name, role), contract and entry, decoded arguments, result, events, validation code in words, gas,
// endorsers and the state keys it wrote. Values are section-7 JSON, shown as written.

import * as api from "../api.js";
import { explainCode, t, time } from "../i18n.js";
import { codeBadge, facts, h, json, link, table } from "../ui.js";

export async function render(ctx, args) {
  const ch = api.enc(ctx.channel);
  const id = args[0] ?? "";
  const tx = await api.get(`/channels/${ch}/transactions/${api.enc(id)}`);
  const parts = [h("h1", {}, t("tx.title")), h("p", {}, h("code", { class: "wrap", id: "tx-id" }, tx.tx_id ?? id))];
  if (tx.status !== "committed") {
    parts.push(h("p", { class: "notice", id: "tx-status" }, t(`tx.status_${tx.status}`)));
    return { element: h("div", {}, parts) };
  }
  const creator = tx.creator ? `${tx.creator.name}@${tx.creator.org}` : "—";
  parts.push(facts([
    [t("tx.status"), h("span", { id: "tx-status" }, t("tx.status_committed"))],
    [t("tx.code"), h("span", {}, codeBadge(tx.code_name), " ", h("span", { id: "tx-explanation" }, explainCode(tx.code_name)))],
    tx.message ? [t("tx.message"), h("span", { id: "tx-message" }, tx.message)] : null,
    [t("tx.block"), link(`${ch}/block/${tx.block}`, `${tx.block} #${tx.index}`, { id: "tx-block" })],
    [t("tx.time"), time(tx.time)],
    [t("tx.kind"), tx.kind ?? "—"],
    [t("tx.creator"), h("span", { id: "tx-creator" }, creator, tx.creator?.role ? h("span", { class: "badge" }, tx.creator.role) : null)],
    [t("tx.contract"), tx.contract ? link(`${ch}/contract/${api.enc(tx.contract)}`, tx.contract) : "—"],
    [t("tx.entry"), h("span", { id: "tx-entry" }, tx.entry ?? "—")],
    [t("tx.gas"), tx.gas === null || tx.gas === undefined ? t("tx.gas_unrecorded") : String(tx.gas)],
    [t("tx.endorsers"), (tx.endorsers ?? []).map((e) => (typeof e === "string" ? e : `${e.name} (${e.org})`)).join(", ") || "—"],
  ].filter(Boolean)));
  parts.push(h("h2", {}, t("tx.args")), h("div", { id: "tx-args" }, json(tx.args ?? null)));
  parts.push(h("h2", {}, t("tx.result")), h("div", { id: "tx-result" }, json(tx.result ?? null)));
  const events = tx.events ?? [];
  parts.push(h("h2", {}, t("tx.events", { count: events.length })));
  if (events.length) parts.push(table([t("events.event"), t("events.fields")], events.map((e) => [e.event, json(e.fields)]), { id: "tx-events" }));
  const writes = tx.writes ?? [];
  parts.push(h("h2", {}, t("tx.writes", { count: writes.length })));
  if (writes.length) parts.push(h("ul", { class: "keys" }, writes.map((k) => h("li", {}, h("code", { class: "wrap" }, k)))));
  return { element: h("div", {}, parts) };
}
