// Building blocks of the pages: an element builder that never parses HTML (text is always text, so
// nothing a contract or a user wrote can become markup), links inside the console, and the one way a
// refusal is shown: a message in the page, never an error page.

import { t } from "./i18n.js";

// h("a", {href: "#/x", class: "c"}, "text", child...): attributes starting with "on" become listeners.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function link(route, text, attrs) {
  return h("a", { href: `#/${route}`, ...attrs }, text);
}

// A long hex id, shortened for a table cell; the full id is its title (and in the linked page).
export function short(hex) {
  if (!hex) return "—";
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}

export function json(value) {
  return h("pre", { class: "json" }, value === undefined ? "—" : JSON.stringify(value, null, 2));
}

export function table(headers, rows, attrs) {
  return h("div", { class: "scroll" },
    h("table", attrs ?? {},
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell)))))));
}

// Definition list of [label, value] pairs.
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

// A refusal or failure, as a message in the page: the node's words and its code.
export function problem(error) {
  const code = error && error.code ? error.code : "error";
  const text = error && error.message ? error.message : String(error);
  return h("p", { class: "error", role: "alert", dataset: { code } }, h("strong", {}, t("common.refused")), ` (${code}): `, text);
}

export function codeBadge(name) {
  return h("span", { class: `code ${name === "VALID" ? "ok" : "bad"}` }, name);
}

export function loading() {
  return h("p", { class: "loading" }, t("common.loading"));
}
