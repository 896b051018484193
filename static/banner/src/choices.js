// The visitor's choices: the token read first, the gate asked what may load, and each new
// choice recorded in turn, its refusals taking effect at once.

import { apply, revokeVendors, watch } from './blocking.js';
import { choiceFrom } from './choice.js';
import { consentMode } from './consent-mode.js';
import { CATEGORY_IDS, TOKEN_COOKIE } from './constants.js';
import { cookieMatcher } from './cookies.js';
import { afterPaint, guard, readCookies, whenReady } from './page.js';
import { request } from './service.js';
import { config, language, signals, takeTexts, texts, vendorIds, vendors } from './site.js';
import { tokenChoice, tokenIn } from './token.js';
import { close, show } from './ui.js';
import { updateConsentMode } from './vendor-apis.js';
import { vendorsIn } from './vendors.js';

// The consent state of the page, changed only here: the token (falsy if none), the
// visitor's current choice (from the token, the gate or a new choice; null if none), and
// the Consent.on('change') listeners.
export let token;
export let choice = null;
const listeners = [];
// Only the answer to the latest question counts: an older, slower one is stale.
let asked = 0;
// Each choice waits for the token and the choices before it, as it carries the previous one.
let queue;

// Ask the gate what may load, and load it; resolves the answer (or null). Every question
// follows the token's read, which waited for the parsed document: no wait for it here.
function refresh() {
  const ask = ++asked;
  // The gate refuses an empty list; a site without vendors still needs its show_banner.
  let query = `gate?vendors=${vendorIds.length ? vendorIds : 'none'}`;
  // A token is URL-safe base64 (one that is not is invalid either way).
  if (token) query += `&token=${token}`;
  return request(query).then(async (result) => {
    if (ask !== asked) return null;
    let next = result && result[0] === 200 && result[1];
    next = next && next.decisions ? next : null;
    if (next && token) updateConsentMode(next.consent_mode);
    // Once what it allows has been released (later.js's part may take a request).
    await apply(next);
    return next;
  });
}

// The first question to the gate, which may ask a returning visitor again.
function firstRefresh() {
  refresh().then(
    guard((next) => {
      if (!token || !next) return;
      if (next.show_banner) {
        choice = null;
        show(next.categories, false, true);
      } else if (next.categories) {
        choice = choiceFrom(next.categories);
      }
    }),
  );
}

/**
 * Read the token once the document is parsed, then ask the gate (a returning visitor) or show
 * the banner (a first visit); choices wait for it. Read then, it took 0.3–1.5 ms in a fresh
 * page, about 3.5 ms at the script's start, and the Cookie Store API's promise resolved
 * 3–30 ms late.
 */
export function begin() {
  queue = Promise.all([
    new Promise((resolve) => whenReady(() => resolve(tokenIn(readCookies())))),
    // Another language's texts are asked for meanwhile.
    texts || request(`config?lang=${language}`).then(takeTexts),
  ]).then(
    guard(([value]) => {
      token = value;
      if (token) {
        choice = tokenChoice(token, config.site_key);
        firstRefresh();
      } else show(null, false, true);
      afterPaint(
        guard(() => {
          if (!token && vendorsIn(vendors, ['necessary']).length) firstRefresh();
          watch();
        }),
      );
    }),
  );
}

// Record a choice: POST it, retrying a failure that may pass (network, 5xx, 429) after
// 0.7 s and 2.1 s (with jitter); then store the token, and load what it allows.
async function send(action, next) {
  const body = {
    action,
    policy_version: config.policy_version,
    policy_hash: config.policy_hash,
    language,
    // Without query or fragment (or userinfo).
    page_url: location.origin + location.pathname,
    signals,
    build: config.build,
  };
  if (action === 'custom') body.categories = next;
  if (token) body.token = token;
  let result;
  for (let attempt = 0; ; attempt++) {
    result = await request('consents', body);
    const status = result && result[0];
    result = status === 201 && result[1] && result[1].token && result[1];
    // A 4xx other than 429 will not get better by asking again.
    if (result || (status && status < 500 && status !== 429) || attempt > 1) break;
    await new Promise((resolve) =>
      setTimeout(resolve, [700, 2100][attempt] * (1 + Math.random() / 2)),
    );
  }
  // Recording failed: nothing more loads, and what was switched off stays off.
  if (!result) return null;
  token = result.token;
  try {
    // The token is URL-safe base64: a cookie value as it is.
    document.cookie = `${TOKEN_COOKIE}=${token}; Path=/; Max-Age=${
      (config.choice_lifetime_days || 182) * 86400
    }; SameSite=Lax${location.protocol === 'https:' ? '; Secure' : ''}`;
  } catch (err) {
    // Nothing stored: the banner simply asks again on the next page.
  }
  choice = tokenChoice(token, config.site_key) || next;
  // Listeners hear of the change once what it allows has been loaded.
  await refresh();
  for (const fn of listeners.slice()) guard(fn)(choiceFrom(choice));
  return choiceFrom(choice);
}

// Delete the first-party cookies of the ``refused`` vendors, on this host and each parent
// domain but the top-level one (an IP address has none).
function deleteCookies(refused) {
  const matches = cookieMatcher(refused.flatMap((id) => vendors[id].cookies || []));
  const hostname = location.hostname;
  const parts = hostname.split('.');
  if (matches)
    for (const cookie of readCookies()) {
      const name = cookie.split('=')[0];
      if (matches.test(name))
        parts.forEach((_, i) => {
          for (const path of ['/', location.pathname])
            document.cookie = `${name}=; Max-Age=0; Path=${path}${
              i < parts.length - 1 && !/^[\d.]+$|:/.test(hostname)
                ? `; Domain=${parts.slice(i).join('.')}`
                : ''
            }`;
        });
    }
}

/**
 * A choice: revoke at once what it refuses (before the network answers, so a refusal takes
 * effect even offline), then record it after the choices before it.
 */
export function record(action, categories) {
  const next = choiceFrom(categories, action === 'accept_all');
  const off = CATEGORY_IDS.filter((id) => !next[id]);
  // Necessary is never off: strictly necessary vendors are never refused, their cookies stay.
  const refused = vendorsIn(vendors, off);
  close();
  deleteCookies(refused);
  // And their consent APIs hear of it.
  updateConsentMode(consentMode('denied', off));
  revokeVendors(refused);
  const run = () => send(action, next);
  return (queue = queue.then(run, run));
}

/** Consent.on: ``fn`` hears of every recorded choice. */
export function on(event, fn) {
  if (event === 'change' && typeof fn === 'function') listeners.push(fn);
}
