// The console's shell: login, the navigation bar, the search box and the router. Routes are
// "#/CHANNEL/PAGE/ARG..." so every view has an address a reader can bookmark or send; each page is a
// module of pages/ exporting render(ctx, args), ctx = {channel, readOnly}, that returns {element, stop?}
// (stop ends its timers and streams when the reader leaves the page).

import * as api from "./api.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import { h, problem } from "./ui.js";
import * as dashboard from "./pages/dashboard.js";
import * as blocks from "./pages/blocks.js";
import * as transaction from "./pages/transaction.js";
import * as contracts from "./pages/contracts.js";
import * as records from "./pages/records.js";
import * as events from "./pages/events.js";

const PAGES = {
  dashboard: dashboard.render,
  blocks: blocks.renderList,
  block: blocks.renderBlock,
  tx: transaction.render,
  contracts: contracts.renderList,
  contract: contracts.renderContract,
  records: records.render,
  events: events.render,
};
const NAV = ["dashboard", "blocks", "contracts", "records", "events"];
const SECTION = { block: "blocks", tx: "blocks", contract: "contracts" }; // the navigation entry a page is under

const state = { who: null, channels: [], stop: null, shown: 0 };
const $ = (id) => document.getElementById(id);

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [channel, page, ...args] = parts;
  return { channel: channel || state.channels[0], page: PAGES[page] ? page : "dashboard", args };
}

function go(channel, page, ...args) {
  location.hash = "#/" + [channel, page, ...args].map(encodeURIComponent).join("/");
}

function showLogin(message) {
  $("app").hidden = true;
  $("nav").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  const box = $("login-error");
  box.hidden = !message;
  box.textContent = message ?? "";
}

function renderNav(current) {
  const nav = $("nav");
  const select = h("select", { id: "channel", "aria-label": t("nav.channel"),
    onchange: (e) => go(e.target.value, NAV.includes(current.page) ? current.page : "dashboard") },
  state.channels.map((c) => h("option", { value: c, selected: c === current.channel }, c)));
  const search = h("form", { id: "search", class: "search", onsubmit: (e) => { e.preventDefault(); find(current.channel, e.target.q.value.trim()); } },
    h("input", { name: "q", type: "search", placeholder: t("search.placeholder"), "aria-label": t("search.label") }),
    h("button", { type: "submit" }, t("search.go")));
  nav.replaceChildren(select,
    ...NAV.map((p) => h("a", { href: `#/${encodeURIComponent(current.channel)}/${p}`, class: (SECTION[current.page] ?? current.page) === p ? "active" : null }, t(`nav.${p}`))),
    search);
  nav.hidden = false;
  const who = $("who");
  who.replaceChildren(h("span", {},
    h("span", { class: "user" }, `${state.who.name}@${state.who.org}`),
    readOnly() ? h("span", { class: "badge readonly", id: "read-only" }, t("who.read_only")) : null,
    h("button", { type: "button", onclick: logout }, t("who.logout"))));
  who.hidden = false;
}

// A regulator reads every member's data but never invokes: its view says so and offers no action.
function readOnly() {
  return Boolean(state.who && (state.who.type === "regulator" || (state.who.roles ?? []).includes("regulator")));
}

async function find(channel, query) {
  if (!query) return;
  const box = $("search-problem");
  const hex = /^(0x)?[0-9a-fA-F]{64}$/.test(query) ? query.replace(/^0x/, "").toLowerCase() : null;
  try {
    if (/^\d+$/.test(query)) return go(channel, "block", query);
    if (hex) {
      const tx = await api.get(`/channels/${api.enc(channel)}/transactions/${hex}`);
      if (tx.status !== "unknown") return go(channel, "tx", hex);
      await api.get(`/channels/${api.enc(channel)}/blocks/${hex}`);
      return go(channel, "block", hex);
    }
    throw new api.ApiError(400, "search", t("search.form"));
  } catch (error) {
    if (box) box.replaceChildren(problem(error.status === 404 ? new api.ApiError(404, "not-found", t("search.none", { q: query })) : error));
  }
}

async function show() {
  if (state.stop) {
    state.stop();
    state.stop = null;
  }
  const current = route();
  if (!current.channel) {
    $("app").replaceChildren(h("p", { class: "notice" }, t("app.no_channel")));
    return;
  }
  renderNav(current);
  const main = $("app");
  const slot = h("section", { class: "page" });
  main.replaceChildren(h("div", { id: "search-problem" }), slot);
  const ctx = { channel: current.channel, readOnly: readOnly() };
  try {
    const page = await PAGES[current.page](ctx, current.args);
    slot.replaceChildren(page.element);
    state.stop = page.stop ?? null;
  } catch (error) {
    if (error.status === 401) return showLogin(t("login.expired"));
    slot.replaceChildren(problem(error));
  } finally {
    main.dataset.shown = String(++state.shown); // how many pages were shown: a test waits for the next one
  }
}

async function enter() {
  const [who, node] = await Promise.all([api.whoami(), api.get("/node")]);
  state.who = who;
  state.channels = node.channels;
  $("login").hidden = true;
  $("app").hidden = false;
  if (!location.hash) location.hash = `#/${encodeURIComponent(state.channels[0] ?? "")}/dashboard`;
  await show();
}

async function logout() {
  if (state.stop) state.stop();
  state.stop = null;
  await api.logout();
  state.who = null;
  showLogin(null);
}

async function attempt(work) {
  try {
    await work();
    await enter();
  } catch (error) {
    showLogin(`${error.message}`);
  }
}

async function main() {
  await i18n.start();
  i18n.apply();
  const switcher = $("lang-switch");
  switcher.textContent = t("lang.other");
  switcher.hidden = false;
  switcher.addEventListener("click", async () => {
    await i18n.choose(i18n.other());
    i18n.apply();
    switcher.textContent = t("lang.other");
    if (state.who) await show();
  });
  $("login-user").addEventListener("submit", (e) => {
    e.preventDefault();
    attempt(() => api.login(e.target.name.value.trim(), e.target.password.value));
  });
  $("login-token").addEventListener("submit", (e) => {
    e.preventDefault();
    attempt(() => api.adopt(e.target.token.value));
  });
  for (const fieldset of document.querySelectorAll("#login fieldset")) fieldset.disabled = false; // ours now
  window.addEventListener("hashchange", () => { if (state.who) show(); });
  window.addEventListener(api.SESSION_ENDED, () => {
    if (state.stop) state.stop();
    state.stop = null;
    state.who = null;
    showLogin(t("login.expired"));
  });
  if (api.token()) {
    try {
      await enter();
    } catch (error) {
      api.forget();
      showLogin(error.status === 401 ? t("login.expired") : error.message);
    }
  }
}

main();
