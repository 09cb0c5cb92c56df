// Contracts: the channel's deployed contracts, and one contract's page: its explain document (the same
// renderer as `baochain explain`, in the reader's language, shown in a sandboxed iframe srcdoc: no
// script of it runs), its version history and endorsement policy, and a form per entry built from the
// ABI. Inputs are checked in the browser (values.js) before anything is sent; the node's refusal is
// shown as a message under the form. A regulator's view is read-only: actions are shown, not callable
// (the node refuses them too); views can be queried by anyone who reads the channel.

import * as api from "../api.js";
import { lang, t } from "../i18n.js";
import { facts, h, json, link, loading, problem, short, table } from "../ui.js";
import { CheckError, example, isPlain, read, typeOf } from "../values.js";

export async function renderList(ctx) {
  const ch = api.enc(ctx.channel);
  const view = await api.get(`/channels/${ch}`);
  const rows = view.contracts.map((c) => [link(`${ch}/contract/${api.enc(c.name)}`, c.name, { class: "contract-link" }), c.version]);
  return {
    element: h("div", {}, h("h1", {}, t("contracts.title", { channel: ctx.channel })),
      table([t("contracts.name"), t("contracts.version")], rows, { id: "contracts" })),
  };
}

// An entry's doc in the reader's language: contracts write "en: ..." and "zh: ..." paragraphs (a line
// without a tag continues the one above); a doc without tags is shown as written.
export function docIn(doc, language) {
  const parts = {};
  let current = null;
  for (const line of (doc ?? "").split("\n")) {
    const tagged = /^(en|zh):\s*(.*)$/.exec(line);
    if (tagged) {
      current = tagged[1];
      parts[current] = tagged[2];
    } else if (current) parts[current] += ` ${line.trim()}`;
  }
  return parts[language] ?? parts.en ?? doc;
}

function input(type, id) {
  if (type.kind === "enum") return h("select", { id, name: id }, type.values.map((v) => h("option", { value: v }, v)));
  if (type.kind === "scalar" && type.name === "Bool") {
    return h("select", { id, name: id }, h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
  }
  if (isPlain(type)) return h("input", { id, name: id, placeholder: String(example(type)), autocomplete: "off", spellcheck: "false" });
  return h("textarea", { id, name: id, rows: 4, spellcheck: "false", placeholder: JSON.stringify(example(type)) });
}

function entryForm(ctx, name, entry, abi) {
  const ch = api.enc(ctx.channel);
  const action = entry.kind === "action";
  const blocked = action && ctx.readOnly;
  const params = entry.params.map((p) => ({ ...p, type: typeOf(p.type, abi), id: `arg-${entry.name}-${p.name}` }));
  const out = h("div", { class: "outcome", id: `outcome-${entry.name}` });
  const fields = params.map((p) => h("label", { class: "field" },
    h("span", {}, p.name, " ", h("small", { class: "muted" }, p.type.name)),
    input(p.type, p.id),
    h("span", { class: "field-error", id: `${p.id}-error` })));
  const submit = h("button", { type: "submit", disabled: blocked }, action ? t("entry.invoke") : t("entry.query"));
  const form = h("form", { class: "entry card", id: `entry-${entry.name}`, dataset: { entry: entry.name, kind: entry.kind }, novalidate: true },
    h("h3", {}, entry.name, " ", h("span", { class: "badge" }, action ? t("entry.action") : t("entry.view"))),
    entry.doc ? h("p", { class: "doc" }, docIn(entry.doc, lang())) : null,
    h("p", { class: "muted" }, entry.anyone ? t("entry.anyone") : t("entry.roles", { roles: entry.roles.join(", ") })),
    blocked ? h("p", { class: "notice read-only-note" }, t("entry.read_only")) : null,
    h("fieldset", { disabled: blocked }, fields, submit), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (blocked) return;
    const args = {};
    let wrong = false;
    for (const p of params) {
      const box = form.querySelector(`#${CSS.escape(p.id)}-error`);
      box.textContent = "";
      try {
        args[p.name] = read(p.type, form.querySelector(`#${CSS.escape(p.id)}`).value, `argument ${p.name}`);
      } catch (error) {
        if (!(error instanceof CheckError)) throw error;
        box.textContent = error.message;
        wrong = true;
      }
    }
    if (wrong) {
      out.replaceChildren(h("p", { class: "error check", role: "alert" }, t("entry.fix_inputs")));
      return;
    }
    submit.disabled = true;
    out.replaceChildren(h("p", { class: "loading" }, action ? t("entry.waiting_commit") : t("common.loading")));
    try {
      const answer = await api.post(`/channels/${ch}/contracts/${api.enc(name)}/${action ? "invoke" : "query"}/${api.enc(entry.name)}`, { args });
      out.replaceChildren(outcome(ctx, answer, action));
    } catch (error) {
      out.replaceChildren(problem(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function outcome(ctx, answer, action) {
  const ch = api.enc(ctx.channel);
  if (!action) return h("div", { class: "result ok" }, h("strong", {}, t("entry.result")), json(answer.result));
  const valid = answer.code === "VALID";
  return h("div", { class: `result ${valid ? "ok" : "bad"}` },
    h("p", {}, h("span", { class: `code ${valid ? "ok" : "bad"}` }, answer.code ?? answer.status), " ",
      answer.tx_id ? link(`${ch}/tx/${answer.tx_id}`, short(answer.tx_id), { class: "tx-link", title: answer.tx_id }) : null,
      answer.block !== null && answer.block !== undefined ? [" · ", link(`${ch}/block/${answer.block}`, t("tx.in_block", { block: answer.block }))] : null),
    answer.message ? h("p", { class: "error" }, answer.message) : null,
    h("strong", {}, t("entry.result")), json(answer.result),
    (answer.events ?? []).length ? [h("strong", {}, t("tx.events", { count: answer.events.length })), json(answer.events)] : null);
}

// The document arrives after the page is shown (the node renders it from the deployed source), so the
// forms are usable at once.
function explainDocument(ctx, name) {
  const slot = h("div", { class: "explain-slot" }, loading());
  api.getText(`/channels/${api.enc(ctx.channel)}/contracts/${api.enc(name)}/explain`, { lang: lang() }).then(
    // sandbox="": the document is shown, never run; srcdoc: no second request, the page's policy applies.
    (html) => slot.replaceChildren(h("iframe", { class: "explain", id: "explain", title: t("contract.document"), sandbox: "", srcdoc: html })),
    (error) => slot.replaceChildren(error.code === "no_source" ? h("p", { class: "notice" }, t("contract.no_source")) : problem(error)));
  return slot;
}

export async function renderContract(ctx, args) {
  const ch = api.enc(ctx.channel);
  const name = args[0] ?? "";
  const view = await api.get(`/channels/${ch}/contracts/${api.enc(name)}`);
  const abi = view.abi;
  const history = table([t("contract.version"), t("contract.module"), t("contract.block"), t("contract.tx")],
    (view.history ?? []).map((v) => [v.version, h("code", { title: v.module }, short(v.module)),
      link(`${ch}/block/${v.block}`, String(v.block)), v.tx_id ? link(`${ch}/tx/${v.tx_id}`, short(v.tx_id), { title: v.tx_id }) : "—"]),
    { id: "history" });
  const actions = abi.entries.filter((e) => e.kind === "action");
  const views = abi.entries.filter((e) => e.kind !== "action");
  const element = h("div", { class: "contract" },
    h("h1", {}, t("contract.title", { name, contract: abi.contract })),
    facts([
      [t("contract.version"), view.version],
      [t("contract.policy"), h("span", { id: "policy" }, view.policy)],
      [t("contract.parties"), (abi.parties ?? []).join(", ")],
      [t("contract.module"), h("code", {}, view.module)],
    ]),
    ctx.readOnly ? h("p", { class: "notice" }, t("entry.read_only")) : null,
    h("p", {}, link(`${ch}/records/${api.enc(name)}`, t("contract.records"))),
    h("details", { open: true }, h("summary", {}, t("contract.document")), explainDocument(ctx, name)),
    h("h2", {}, t("contract.history")), history,
    h("h2", {}, t("contract.actions")), h("div", { class: "entries" }, actions.map((e) => entryForm(ctx, name, e, abi))),
    h("h2", {}, t("contract.views")), h("div", { class: "entries" }, views.map((e) => entryForm(ctx, name, e, abi))));
  return { element };
}
