// Dashboard: the channel at a glance (height, latest block, state hash), its traffic over the last
// minutes (transactions per second by validation code, commit latency: GET .../activity), and every
// node of the network (GET /api/v1/network) with an alert for a node that falls behind or stops
// answering. Refreshed every REFRESH_MS while the page is shown; each panel shows its own refusal.

import * as api from "../api.js";
import { t, time } from "../i18n.js";
import { lines, stackedBars } from "../chart.js";
import { facts, h, link, problem, short, table } from "../ui.js";

const REFRESH_MS = 2000;
const MINUTES = 10;
export const BEHIND_BLOCKS = 3; // "more than a few blocks" behind the highest node is an alert

const LATENCY = [{ name: "p50", cls: "s-valid" }, { name: "p99", cls: "s-1" }];

function series(names) {
  return names.map((name, i) => ({ name, cls: name === "VALID" ? "s-valid" : `s-${(i % 4) + 1}` }));
}

function summary(ch, view) {
  return facts([
    [t("channel.height"), h("strong", { id: "height" }, String(view.height))],
    [t("channel.latest"), link(`${api.enc(ch)}/block/${view.height - 1}`, short(view.latest_block), { title: view.latest_block, id: "latest-block" })],
    [t("channel.state_hash"), h("code", { title: view.state_hash }, short(view.state_hash))],
    [t("channel.members"), view.members.join(", ")],
    [t("channel.regulators"), (view.regulators ?? []).join(", ") || "—"],
    [t("channel.consensus"), `${view.consensus?.type ?? "—"} (${(view.consensus?.orderers ?? []).join(", ")})`],
    [t("channel.suite"), view.suite],
  ]);
}

function traffic(activity) {
  const perSecond = 1000 / activity.bucket_ms;
  const names = [...new Set(activity.buckets.flatMap((b) => Object.keys(b.codes)))].sort((a, b) => (a === "VALID" ? -1 : b === "VALID" ? 1 : a.localeCompare(b)));
  const codes = series(names.length ? names : ["VALID"]);
  const tps = activity.buckets.map((b) => ({ time: b.start, values: Object.fromEntries(Object.entries(b.codes).map(([k, v]) => [k, v * perSecond])) }));
  const latency = activity.buckets.map((b) => ({ time: b.start, values: { p50: b.commit_latency_ms?.p50 ?? null, p99: b.commit_latency_ms?.p99 ?? null } }));
  const last = [...activity.buckets].reverse().find((b) => b.commit_latency_ms);
  const total = activity.buckets.reduce((s, b) => s + b.transactions, 0);
  const seconds = (activity.buckets.length * activity.bucket_ms) / 1000 || 1;
  return h("div", { class: "charts" },
    h("figure", { class: "card" },
      h("figcaption", {}, t("dashboard.tps", { minutes: MINUTES }), " ", h("span", { class: "muted", id: "tps-average" }, t("dashboard.average", { value: (total / seconds).toFixed(2) }))),
      stackedBars(codes, tps, "/s", t("dashboard.tps", { minutes: MINUTES })),
      h("p", { class: "legend" }, codes.map((s) => h("span", { class: `key ${s.cls}` }, s.name)))),
    h("figure", { class: "card" },
      h("figcaption", {}, t("dashboard.latency"), " ",
        h("span", { class: "muted", id: "latency-now" }, last ? `p50 ${last.commit_latency_ms.p50} ms · p99 ${last.commit_latency_ms.p99} ms` : t("dashboard.no_commits"))),
      lines(LATENCY, latency, " ms", t("dashboard.latency")),
      h("p", { class: "legend" }, LATENCY.map((s) => h("span", { class: `key ${s.cls}` }, s.name)))));
}

// Alerts of the network view: a node that does not answer, or whose height on a channel is more than
// BEHIND_BLOCKS below the highest node's.
export function alerts(nodes, ch) {
  const out = [];
  const heights = nodes.filter((n) => n.reachable && n.channels?.[ch]).map((n) => n.channels[ch].height);
  const top = heights.length ? Math.max(...heights) : 0;
  for (const n of nodes) {
    if (!n.reachable) out.push(t("alert.unreachable", { node: n.name, error: n.error ?? "?" }));
    else if (n.channels?.[ch] && top - n.channels[ch].height > BEHIND_BLOCKS) {
      out.push(t("alert.behind", { node: n.name, blocks: top - n.channels[ch].height }));
    }
  }
  return out;
}

function megabytes(bytes) {
  return bytes === undefined || bytes === null ? "—" : `${(bytes / 1048576).toFixed(0)} MB`;
}

function alertList(view, ch) {
  const warnings = alerts(view.nodes, ch);
  return warnings.length ? h("ul", { class: "alerts", id: "alerts", role: "alert" }, warnings.map((w) => h("li", {}, w))) : h("div", {});
}

function network(view, ch) {
  const rows = view.nodes.map((n) => {
    const c = n.channels?.[ch];
    const sent = Object.values(n.links ?? {}).reduce((s, l) => s + (l.sent_bytes ?? 0), 0);
    const received = Object.values(n.links ?? {}).reduce((s, l) => s + (l.received_bytes ?? 0), 0);
    return [
      h("span", {}, n.name, n.self ? h("span", { class: "badge" }, t("network.self")) : null),
      n.org,
      n.reachable ? h("span", { class: "code ok" }, t("network.up")) : h("span", { class: "code bad", title: n.error ?? "" }, t("network.down")),
      c ? String(c.height) : "—",
      c ? `${c.view ?? "—"}${c.leader ? ` · ${c.leader}` : ""}` : "—",
      (n.peers ?? []).join(", ") || "—",
      n.process ? `${n.process.cpu_seconds.toFixed(1)} s` : "—",
      megabytes(n.process?.memory_bytes),
      n.process ? String(n.process.open_files) : "—",
      `${megabytes(sent)} / ${megabytes(received)}`,
    ];
  });
  return h("div", {},
    table([t("network.node"), t("network.org"), t("network.state"), t("channel.height"), t("network.view_leader"), t("network.peers"),
      t("network.cpu"), t("network.memory"), t("network.files"), t("network.net")], rows, { id: "nodes" }));
}

async function panel(slot, work) {
  try {
    slot.replaceChildren(await work());
  } catch (error) {
    slot.replaceChildren(problem(error));
  }
}

export async function render(ctx) {
  const ch = api.enc(ctx.channel);
  const head = h("div", {});
  const charts = h("div", {});
  const nodes = h("div", {});
  const warnings = h("div", {});
  const updated = h("p", { class: "muted", id: "updated" });
  const refresh = async () => {
    await Promise.all([
      panel(head, async () => summary(ctx.channel, await api.get(`/channels/${ch}`))),
      panel(charts, async () => traffic(await api.get(`/channels/${ch}/activity`, { minutes: MINUTES }))),
      panel(nodes, async () => {
        const view = await api.get("/network");
        warnings.replaceChildren(alertList(view, ctx.channel)); // at the top: an alert is the first thing seen
        return network(view, ctx.channel);
      }),
    ]);
    updated.textContent = t("dashboard.updated", { time: time(Date.now()) });
  };
  await refresh();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try { await refresh(); } finally { busy = false; }
  }, REFRESH_MS);
  const element = h("div", { class: "dashboard" },
    h("h1", {}, t("dashboard.title", { channel: ctx.channel })), warnings, updated, head,
    h("h2", {}, t("dashboard.traffic")), charts,
    h("h2", {}, t("dashboard.network")), nodes);
  return { element, stop: () => clearInterval(timer) };
}

