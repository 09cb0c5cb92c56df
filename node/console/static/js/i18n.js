// Translations: English and Chinese from /console/static/i18n/LANG.json (the node's login page reads
// the same files). The language follows navigator.language until the reader picks one with the switch,
// which is remembered in localStorage. t(key, {name: value}) fills "{name}" placeholders; a key missing
// from a table falls back to English, then to the key itself (visible, so a gap is noticed).

const CHOICE_KEY = "baochain.console.lang";
const tables = {};
let current = "en";

export const facts = JSON.parse(document.getElementById("console-facts").textContent);

function preferred() {
  const chosen = localStorage.getItem(CHOICE_KEY);
  if (chosen && facts.languages.includes(chosen)) return chosen;
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return browser.toLowerCase().startsWith("zh") ? "zh" : "en";
}

async function load(lang) {
  if (!tables[lang]) {
    const response = await fetch(`/console/static/i18n/${lang}.json`);
    tables[lang] = await response.json();
  }
}

export async function start() {
  current = preferred();
  await Promise.all([load("en"), load(current)]);
  document.documentElement.lang = current;
}

export function lang() {
  return current;
}

export async function choose(next) {
  localStorage.setItem(CHOICE_KEY, next);
  await load(next);
  current = next;
  document.documentElement.lang = next;
}

export function other() {
  return current === "zh" ? "en" : "zh";
}

export function t(key, params) {
  let text = tables[current]?.[key] ?? tables.en?.[key] ?? key;
  if (params) {
    for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

// A validation code in words: the node's own explanation in English, the translation table's otherwise.
export function explainCode(name) {
  if (current !== "en" && tables[current]?.[`code.${name}`]) return tables[current][`code.${name}`];
  return facts.codes[name] ?? name;
}

// Elements written with data-i18n="key" get their text in the current language.
export function apply(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}

// Times as the reader's locale writes them.
export function time(ms) {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toLocaleString(current === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}
