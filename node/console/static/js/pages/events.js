// Live events: the channel's event stream (GET .../events, Server-Sent Events through EventSource,
// which cannot send a header: the session rides as ?session=), filtered by contract and event name on
// the node (a new filter opens a new stream). It starts BACKLOG_BLOCKS blocks back so the feed is not
// empty, and keeps at most KEEP events on the page, newest first.

import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, json, link, short } from "../ui.js";

export const BACKLOG_BLOCKS = 50;
export const KEEP = 200;

export async function render(ctx) {
  const ch = api.enc(ctx.channel);
  const view = await api.get(`/channels/${ch}`);
  const feed = h("ol", { class: "feed", id: "event-feed", reversed: true });
  const status = h("p", { class: "muted", id: "event-status" }, t("events.connecting"));
  let source = null;

  const open = (contract, event) => {
    if (source) source.close();
    feed.replaceChildren();
    const params = { from_block: Math.max(0, view.height - BACKLOG_BLOCKS) };
    if (contract) params.contract = contract;
    if (event) params.event = event;
    source = api.events(ctx.channel, params);
    source.onopen = () => { status.textContent = t("events.live"); };
    source.onerror = () => { status.textContent = t("events.lost"); };
    source.onmessage = (message) => {
      const e = JSON.parse(message.data);
      feed.prepend(h("li", { class: "event", dataset: { contract: e.contract, event: e.event } },
        h("p", {}, h("strong", {}, `${e.contract}.${e.event}`), " · ",
          link(`${ch}/block/${e.block}`, t("tx.in_block", { block: e.block })), " · ",
          link(`${ch}/tx/${e.tx_id}`, short(e.tx_id), { title: e.tx_id })),
        json(e.fields)));
      while (feed.children.length > KEEP) feed.lastElementChild.remove();
    };
  };

  const contracts = h("select", { name: "contract", id: "event-contract" }, h("option", { value: "" }, t("events.any_contract")),
    view.contracts.map((c) => h("option", { value: c.name }, c.name)));
  const eventName = h("input", { name: "event", id: "event-name", placeholder: t("events.any_event"), autocomplete: "off" });
  const filter = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); open(contracts.value, eventName.value.trim()); } },
    h("label", {}, t("events.contract"), " ", contracts), h("label", {}, t("events.event"), " ", eventName),
    h("button", { type: "submit" }, t("events.filter")));
  open("", "");
  return {
    element: h("div", {}, h("h1", {}, t("events.title", { channel: ctx.channel })), filter, status, feed),
    stop: () => source && source.close(),
  };
}
