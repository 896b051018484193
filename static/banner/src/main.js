// The loader: runs first in <head>, shows the banner, asks the gate, records choices,
// loads what the gate allows. The bundle is on every page of the owner's site, and the
// browser compiles what it runs: keep it small (a function boundary costs about 5 B gzip).
//
// Modules: constants, config (the inlined configuration), choice, consent-mode, token,
// cookies and vendors are pure (tested with node --test in ../test); page (guard, document
// readiness, cookies), site (the configuration and the page's context, set once), service
// (the visitor API and later.js's loading), vendor-apis (gtag and the managed vendors), dom,
// ui (the banner), placeholder, blocking (what the vendors may do) and choices (the token,
// the choice and the order of work) hold the rest. later.js, a bundle of its own loaded when
// first needed, holds what the first layer does not need: the preferences layer, the
// placeholders and the managed vendors' set-up. Each module keeps its own state; only choices changes
// the token and the choice.
//
// The order of work keeps the main thread free until a first-time visitor sees the banner:
// at once only Consent Mode's default and window.Consent; at DOMContentLoaded the token
// cookie and, for a first-time visitor, the first layer, its stylesheet adopted from the
// bundle (no second request, nothing to wait for); once that has been painted, focus, the
// blocked-tag scan and the MutationObserver. A returning visitor asks the gate as soon as
// the token is read; a first-time visitor only on a site with a strictly necessary vendor
// (without a token the gate refuses every other one). The second layer is built when first
// opened, from later.js.
//
// Texts are plain text: only textContent and text nodes, never innerHTML.

// First, so that the stylesheet's text leads the bundle: it compresses best there (−16 B gzip).
import './dom.js';
import { choiceFrom } from './choice.js';
import { observe } from './blocking.js';
import { begin, choice, on, record } from './choices.js';
import { readConfig } from './config.js';
import { consentMode } from './consent-mode.js';
import { guard, whenReady } from './page.js';
import { labels, setSite } from './site.js';
import { announce, show } from './ui.js';
import { gtag } from './vendor-apis.js';

// Set Consent Mode's default, take the site, read the token; window.Consent and
// [data-consent-open] work from now on.
function start(config) {
  // Google Consent Mode default, before any Google tag: everything denied but security
  // storage; the gate answers within the wait (and if it never does, all stays denied).
  window.dataLayer = window.dataLayer || [];
  if (typeof window.gtag !== 'function') {
    window.gtag = function () {
      window.dataLayer.push(arguments);
    };
  }
  gtag(
    'consent',
    'default',
    Object.assign(consentMode('denied'), { security_storage: 'granted', wait_for_update: 500 }),
  );
  setSite(config);
  observe();
  begin();
  const open = () => whenReady(() => show(choice, true));
  const api = {
    show: open,
    acceptAll: () => record('accept_all'),
    rejectAll: () => record('reject_all'),
    save: (categories) => record('custom', categories),
    // Withdrawal is confirmed aloud and the first layer shows again.
    withdraw: () => {
      const done = record('withdraw');
      whenReady(() => {
        show(null);
        announce(labels.withdrawn);
      });
      return done;
    },
    get: () => choice && choiceFrom(choice),
    on,
  };
  for (const name in api) api[name] = guard(api[name]);
  window.Consent = api;
  document.addEventListener(
    'click',
    guard((event) => {
      if (event.target.closest('[data-consent-open]')) {
        event.preventDefault();
        open();
      }
    }),
  );
  // The cookie declaration is a script of its own (declaration.js), loaded only on a page
  // that has its element: the first layer carries no more of it than this.
  whenReady(() => {
    if (document.querySelector('[data-consent-declaration]'))
      document.head.append(
        Object.assign(document.createElement('script'), {
          src: `${config.api_base}/embed/declaration.js#${config.site_key}`,
        }),
      );
  });
}

guard(() => {
  const config = readConfig();
  if (config && !(window.Consent && window.Consent.get)) start(config);
})();
