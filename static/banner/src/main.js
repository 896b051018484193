// The loader: runs first in <head>, asks the gate, shows the banner, records choices.

import { TOKEN_COOKIE, readConfig } from './config.js';
import {
  choiceFrom,
  offCategories,
  pageUrl,
  pickLanguage,
  readToken,
  uniformChoice,
  withCategory,
} from './state.js';
import { askGate, postConsent } from './api.js';
import { readCookie, writeCookie } from './cookies.js';
import { createGating, setConsentDefault, updateConsentMode } from './gating.js';
import { createBanner, createPlaceholder } from './ui.js';

const BLOCKED = '[data-consent-vendor]';

// Nothing the loader does may break the host page.
function guard(fn) {
  return function () {
    try {
      return fn.apply(this, arguments);
    } catch (err) {
      console.warn('[consent]', err);
      return undefined;
    }
  };
}

function whenReady(fn) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', guard(fn));
  else fn();
}

function addsBlockedTag(records) {
  for (const record of records) {
    for (const node of Array.from(record.addedNodes)) {
      if (node.nodeType === 1 && (node.matches(BLOCKED) || node.querySelector(BLOCKED)))
        return true;
    }
  }
  return false;
}

function browserSignals() {
  const nav = navigator;
  return {
    gpc: nav.globalPrivacyControl === true,
    dnt: nav.doNotTrack === '1' || window.doNotTrack === '1',
  };
}

function start(config) {
  setConsentDefault();
  const script = document.currentScript;
  const nonce = script && script.nonce;
  const signals = browserSignals();
  const shown = pickLanguage(config, document.documentElement.getAttribute('lang'));
  const cssHref = `${config.api_base}/embed/banner.css`;
  const vendorIds = Object.keys(config.vendors || {});
  const listeners = [];
  let token = readCookie(TOKEN_COOKIE);
  const saved = readToken(token, config.site_key);
  let choice = saved ? choiceFrom(saved.cat) : null;
  let queue = Promise.resolve();
  // Only the answer to the latest question counts: an older, slower one is stale.
  let asked = 0;

  const banner = createBanner({
    config,
    texts: shown.texts,
    labels: shown.labels,
    notice: signals.gpc || signals.dnt,
    cssHref,
    onChoice: guard((action, categories) => record(action, categories)),
  });
  const gating = createGating(config, {
    nonce,
    placeholder: (frame, id, vendor) =>
      createPlaceholder(frame, {
        id,
        name: vendor.name || id,
        texts: shown.texts,
        labels: shown.labels,
        cssHref,
        onAllow: guard(() => record('custom', withCategory(choice, vendor.category))),
      }),
  });

  function emit(categories) {
    for (const fn of listeners.slice()) guard(fn)(Object.assign({}, categories));
  }

  function refresh() {
    const ask = ++asked;
    // The gate refuses an empty list; a site without vendors still needs its show_banner.
    return askGate(config, vendorIds.length ? vendorIds : ['none'], token).then((answer) => {
      if (ask !== asked) return null;
      if (answer && token) updateConsentMode(answer.consent_mode);
      whenReady(() => ask === asked && gating.apply(answer));
      return answer;
    });
  }

  function send(action, next) {
    const body = {
      action,
      policy_version: config.policy_version,
      policy_hash: config.policy_hash,
      language: shown.language,
      page_url: pageUrl(location.href),
      signals,
    };
    if (action === 'custom') body.categories = next;
    if (token) body.token = token;
    return postConsent(config, body).then((result) => {
      // Recording failed: nothing more loads, and what was switched off stays off.
      if (!result) return null;
      token = result.token;
      writeCookie(TOKEN_COOKIE, token, (config.choice_lifetime_days || 182) * 86400);
      const recorded = readToken(token, config.site_key);
      choice = recorded ? choiceFrom(recorded.cat) : next;
      // Listeners hear of the change once what it allows has been loaded.
      return refresh().then(() => {
        emit(choice);
        return Object.assign({}, choice);
      });
    });
  }

  function record(action, categories) {
    const next =
      action === 'custom' ? choiceFrom(categories) : uniformChoice(action === 'accept_all');
    banner.hide();
    // Revoke at once, before the network answers: a refusal takes effect even offline.
    gating.revoke(offCategories(next));
    const run = () => send(action, next);
    queue = queue.then(run, run);
    return queue;
  }

  function show() {
    whenReady(() => banner.show(choice, true));
  }

  const api = {
    show: guard(show),
    acceptAll: guard(() => record('accept_all')),
    rejectAll: guard(() => record('reject_all')),
    save: guard((categories) => record('custom', categories)),
    withdraw: guard(() => record('withdraw')),
    get: guard(() => (choice ? Object.assign({}, choice) : null)),
    on: guard((event, fn) => {
      if (event === 'change' && typeof fn === 'function') listeners.push(fn);
    }),
  };
  window.Consent = api;

  document.addEventListener(
    'click',
    guard((event) => {
      const target = event.target;
      if (!target || !target.closest || !target.closest('[data-consent-open]')) return;
      event.preventDefault();
      show();
    }),
  );

  whenReady(() => {
    gating.scan();
    if (typeof MutationObserver === 'function') {
      const observer = new MutationObserver(
        guard((records) => addsBlockedTag(records) && gating.scan()),
      );
      observer.observe(document.documentElement, { childList: true, subtree: true });
    }
    if (!token) banner.show(null, false);
  });

  refresh().then(
    guard((answer) => {
      if (!token || !answer) return;
      if (answer.show_banner) {
        choice = null;
        whenReady(() => banner.show(answer.categories, false));
      } else if (answer.categories) {
        choice = choiceFrom(answer.categories);
      }
    }),
  );
}

guard(() => {
  const config = readConfig();
  if (config && !(window.Consent && window.Consent.get)) start(config);
})();
