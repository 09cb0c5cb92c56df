// Blocks: the paged list (GET .../blocks?before=N&limit=K, newest first: only the blocks shown are
// read) and one block with its header, hashes and transactions (GET .../blocks/{number or id}).

import * as api from "../api.js";
import { t, time } from "../i18n.js";
import { codeBadge, facts, h, link, short, table } from "../ui.js";

export const PAGE_SIZE = 20;

export async function renderList(ctx, args) {
  const ch = api.enc(ctx.channel);
  const before = args[0] && /^\d+$/.test(args[0]) ? Number(args[0]) : null;
  const page = await api.get(`/channels/${ch}/blocks`, { before, limit: PAGE_SIZE });
  const rows = page.blocks.map((b) => [
    link(`${ch}/block/${b.number}`, String(b.number), { class: "block-link" }),
    link(`${ch}/block/${b.id}`, short(b.id), { title: b.id }),
    time(b.time),
    String(b.transactions),
    h("span", {}, Object.entries(b.codes).map(([code, n]) => h("span", { class: `code ${code === "VALID" ? "ok" : "bad"}` }, `${code} ${n}`))),
  ]);
  return {
    element: h("div", {},
      h("h1", {}, t("blocks.title", { channel: ctx.channel })),
      h("p", { class: "muted" }, t("blocks.height", { height: page.height })),
      table([t("blocks.number"), t("blocks.id"), t("blocks.time"), t("blocks.transactions"), t("blocks.codes")], rows, { id: "blocks" }),
      h("p", { class: "pager" },
        before !== null ? link(`${ch}/blocks`, t("blocks.newest")) : null,
        page.next !== null && page.next !== undefined && page.next > 0 ? link(`${ch}/blocks/${page.next}`, t("blocks.older"), { id: "older" }) : null)),
  };
}

export async function renderBlock(ctx, args) {
  const ch = api.enc(ctx.channel);
  const block = await api.get(`/channels/${ch}/blocks/${api.enc(args[0] ?? "")}`);
  const rows = block.transactions.map((tx) => [
    String(tx.index),
    tx.tx_id ? link(`${ch}/tx/${tx.tx_id}`, short(tx.tx_id), { title: tx.tx_id, class: "tx-link" }) : "—",
    tx.kind,
    tx.contract ? `${tx.contract}.${tx.entry ?? ""}` : "—",
    tx.creator ? `${tx.creator.name}@${tx.creator.org} (${tx.creator.role ?? "—"})` : "—",
    codeBadge(tx.code_name),
  ]);
  const nav = h("p", { class: "pager" },
    block.number > 0 ? link(`${ch}/block/${block.number - 1}`, t("block.previous")) : null,
    link(`${ch}/block/${block.number + 1}`, t("block.next")));
  return {
    element: h("div", {},
      h("h1", {}, t("block.title", { number: block.number })),
      facts([
        [t("block.id"), h("code", { id: "block-id" }, block.id)],
        [t("block.previous_id"), block.number > 0 ? link(`${ch}/block/${block.previous}`, h("code", {}, block.previous)) : h("code", {}, block.previous)],
        [t("block.time"), time(block.time)],
        [t("block.data_hash"), h("code", {}, block.data_hash)],
        [t("block.state_hash"), h("code", {}, block.state_hash)],
        [t("block.state_after"), h("code", {}, block.state_after ?? "—")],
      ]),
      h("h2", {}, t("block.transactions", { count: block.transactions.length })),
      table(["#", t("tx.id"), t("tx.kind"), t("tx.call"), t("tx.creator"), t("tx.code")], rows, { id: "block-transactions" }),
      nav),
  };
}
