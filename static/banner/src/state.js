// Pure functions over choices, tokens and texts: no DOM, no network.

import { CATEGORY_IDS, CONSENT_MODE_PARAMS, LABELS } from './config.js';

/** A complete choice from a partial one: omitted categories false, necessary always true. */
export function choiceFrom(partial) {
  const choice = {};
  for (const id of CATEGORY_IDS)
    choice[id] = id === 'necessary' || (!!partial && partial[id] === true);
  return choice;
}

/** Every category on (accept all) or only necessary (reject all, withdraw). */
export function uniformChoice(on) {
  const choice = {};
  for (const id of CATEGORY_IDS) choice[id] = on || id === 'necessary';
  return choice;
}

/** ``choice`` (or nothing) plus one category switched on. */
export function withCategory(choice, category) {
  const next = choiceFrom(choice);
  if (CATEGORY_IDS.indexOf(category) >= 0) next[category] = true;
  return next;
}

/** The categories a choice leaves off. */
export function offCategories(choice) {
  return CATEGORY_IDS.filter((id) => !choice[id]);
}

/** Vendor ids of ``vendors`` (the config's map) whose category is one of ``categories``. */
export function vendorsIn(vendors, categories) {
  return Object.keys(vendors || {}).filter((id) => categories.indexOf(vendors[id].category) >= 0);
}

/** Consent Mode parameters denied by a choice that leaves ``categories`` off. */
export function deniedConsentMode(categories) {
  const mode = {};
  for (const param of Object.keys(CONSENT_MODE_PARAMS)) {
    if (categories.indexOf(CONSENT_MODE_PARAMS[param]) >= 0) mode[param] = 'denied';
  }
  return mode;
}

/** The payload of a consent token for ``siteKey`` (unverified: for display only), or null. */
export function readToken(token, siteKey) {
  if (!token || token.length > 4096) return null;
  const body = token.split('.')[0];
  if (!body) return null;
  try {
    const b64 = body.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(b64 + '==='.slice((b64.length + 3) % 4));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    if (!payload || payload.site !== siteKey || typeof payload.cat !== 'object') return null;
    return payload;
  } catch (err) {
    return null;
  }
}

/** The language to show: the primary subtag of ``htmlLang`` if translated, else the default. */
export function pickLanguage(config, htmlLang) {
  const translations = config.translations || {};
  const primary = String(htmlLang || '')
    .split('-')[0]
    .toLowerCase();
  let language = config.language;
  if (translations[primary]) language = primary;
  else if (translations[config.default_language]) language = config.default_language;
  return {
    language,
    texts: translations[language] || config.texts || {},
    labels: LABELS[language] || LABELS.en,
  };
}

/** ``href`` without query or fragment, as receipts record it. */
export function pageUrl(href) {
  return String(href).split('#')[0].split('?')[0];
}

/** Whether a cookie name matches a catalogue pattern, where ``*`` is any run of characters. */
export function cookieMatches(name, pattern) {
  const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(name);
}

/** The host and each parent domain a cookie may be set on (IP addresses have none). */
export function cookieDomains(hostname) {
  if (!hostname || /^[\d.]+$/.test(hostname) || hostname.indexOf(':') >= 0) return [];
  const labels = hostname.split('.');
  const domains = [];
  for (let i = 0; i < labels.length - 1; i++) domains.push(labels.slice(i).join('.'));
  return domains;
}

/** ``text`` with every ``{vendor}`` replaced by the vendor's name. */
export function fillVendor(text, name) {
  return String(text || '')
    .split('{vendor}')
    .join(name);
}

/** Whether a URL is safe to put in a link (http or https only). */
export function safeUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url);
}
