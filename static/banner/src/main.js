// The loader: runs first in <head>, shows the banner, asks the gate, records choices,
// loads what the gate allows. One closure over the site's configuration, kept small: the
// bundle is on every page of the owner's site, and the browser compiles what it runs.
//
// The order of work keeps the main thread free until a first-time visitor sees the banner:
// at once only Consent Mode's default and window.Consent, with the token cookie read
// asynchronously where the browser can (document.cookie blocks on the network process);
// at DOMContentLoaded the first layer, its stylesheet adopted from the bundle (no second
// request, nothing to wait for); once that has been painted, focus, the blocked-tag scan and
// the MutationObserver. A returning visitor asks the gate as soon as the token is read; a
// first-time visitor only on a site with a strictly necessary vendor (without a token the
// gate refuses every other one). The second layer is built when first opened.
//
// Texts are plain text: only textContent and text nodes, never innerHTML.

// dist/banner.css as text (build.sh aliases this name to the minified stylesheet).
import css from 'consent-banner-css';
import {
  CATEGORY_IDS,
  CONSENT_MODE_PARAMS,
  LABELS,
  choiceFrom,
  guard,
  readConfig,
} from './config.js';

const TOKEN_COOKIE = 'consent_token';
const BLOCKED = '[data-consent-vendor]';

function whenReady(fn) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', guard(fn));
  else fn();
}

/** Run ``fn`` once the current frame has been painted (soon, in a hidden page). */
function afterPaint(fn) {
  if (document.hidden) setTimeout(fn);
  else requestAnimationFrame(() => setTimeout(fn));
}

function gtag() {
  window.gtag.apply(window, arguments);
}

/** Consent Mode parameters set to ``value``: all, or those of the categories ``off``. */
function consentMode(value, off) {
  const mode = {};
  for (const param in CONSENT_MODE_PARAMS)
    if (!off || off.includes(CONSENT_MODE_PARAMS[param])) mode[param] = value;
  return mode;
}

/** Pass a Consent Mode state (as the gate computed it) to Google's tags. */
function updateConsentMode(mode) {
  if (mode && Object.keys(mode).length) gtag('consent', 'update', mode);
}

// An element with attributes and children (strings are text nodes; empty ones are left out).
function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const name in attrs) node.setAttribute(name, attrs[name]);
  for (const kid of kids) if (kid) node.append(kid);
  return node;
}

function button(action, text, className) {
  return el(
    'button',
    { type: 'button', class: className || '', 'data-consent-action': action },
    text,
  );
}

// The page's cookies, "name=value" each (none where cookies are unavailable).
function cookies() {
  try {
    return document.cookie.split(/; */);
  } catch (err) {
    return [];
  }
}

// A script element like ``from`` (its attributes but type and data-src) in its place, or
// a new one for ``src`` at the end of <head>.
function addScript(nonce, src, from) {
  const node = document.createElement('script');
  for (const attr of from ? from.attributes : [])
    if (attr.name !== 'type' && attr.name !== 'data-src') node.setAttribute(attr.name, attr.value);
  if (nonce) node.nonce = nonce;
  node.async = !from || from.hasAttribute('async');
  if (src) node.src = src;
  // Inline tags are re-created with their text; a strict CSP refuses them (use data-src).
  else node.text = from.text;
  if (from) from.replaceWith(node);
  else document.head.append(node);
}

// Vendors the loader injects itself when their settings are configured and the gate
// allows; each returns the URL of the script to load (or nothing).
const MANAGED = {
  'google-analytics': (s) =>
    s.measurement_id &&
    (gtag('js', new Date()),
    gtag('config', s.measurement_id),
    // Settings match the catalogue's patterns (G-XXXX, digits): URL-safe.
    `https://www.googletagmanager.com/gtag/js?id=${s.measurement_id}`),
  'linkedin-insight': (s) =>
    s.partner_id &&
    ((window._linkedin_partner_id = s.partner_id),
    (window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || []).push(
      s.partner_id,
    ),
    'https://snap.licdn.com/li.lms-analytics/insight.min.js'),
  'meta-pixel': (s) => {
    if (!s.pixel_id) return;
    // Meta's stub: calls queue until fbevents.js takes them.
    let fbq = window.fbq;
    if (!fbq) {
      fbq = window.fbq = function () {
        if (fbq.callMethod) fbq.callMethod.apply(fbq, arguments);
        else fbq.queue.push(arguments);
      };
      Object.assign(fbq, { push: fbq, loaded: true, version: '2.0', queue: [] });
      window._fbq = window._fbq || fbq;
    }
    // Injected only once the gate allows it, so consent is granted before init.
    fbq('consent', 'grant');
    fbq('init', s.pixel_id);
    fbq('track', 'PageView');
    return 'https://connect.facebook.net/en_US/fbevents.js';
  },
  hubspot: (s) =>
    s.portal_id &&
    ((window._hsp = window._hsp || []), `https://js.hs-scripts.com/${s.portal_id}.js`),
};

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
  // The server always sends vendors, translations (with the default language's texts, each
  // with every key) and the vendors' names.
  const vendors = config.vendors;
  const vendorIds = Object.keys(vendors);
  const script = document.currentScript;
  const nonce = script && script.nonce;
  const nav = navigator;
  const signals = {
    gpc: nav.globalPrivacyControl === true,
    dnt: nav.doNotTrack === '1',
  };
  // The primary subtag of <html lang> if the banner has texts for it, else the default.
  const translations = config.translations;
  const primary = document.documentElement.lang.split('-')[0].toLowerCase();
  const language = translations[primary] ? primary : config.default_language;
  const texts = translations[language];
  const labels = LABELS[language] || LABELS.en;
  const listeners = [];
  const injected = {};
  const warned = {};
  const placeholders = new WeakMap();
  const inputs = [];
  let token = null;
  let choice = null;
  let answer = null;
  let metaRevoked = false;
  // Only the answer to the latest question counts: an older, slower one is stale.
  let asked = 0;
  let host, dialog, links, actions, customize, prefs, save, returnFocus, startedExpanded, initial;

  // --- The visitor API of the service. ---

  // One request (a POST when there is a ``body``): resolves [status, body or null], or
  // null on a network failure or after 8 s.
  async function request(path, body) {
    try {
      const response = await fetch(
        // Site keys and vendor ids are URL-safe.
        `${config.api_base}/api/v1/sites/${config.site_key}/${path}`,
        {
          method: body && 'POST',
          headers: body && { 'Content-Type': 'application/json' },
          body: body && JSON.stringify(body),
          // A cross-origin fetch is in CORS mode; the gate's answers are never stored.
          credentials: 'omit',
          signal: AbortSignal.timeout && AbortSignal.timeout(8000),
        },
      );
      return [response.status, await response.json().catch(() => null)];
    } catch (err) {
      return null;
    }
  }

  // The choice a token of this site records (unverified: for display only), or null.
  function tokenChoice() {
    try {
      // ASCII JSON in URL-safe base64 (atob forgives the missing padding); never compressed.
      const payload = JSON.parse(atob(token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')));
      return payload.site === config.site_key ? choiceFrom(payload.cat) : null;
    } catch (err) {
      return null;
    }
  }

  // Ask the gate what may load, and load it; resolves the answer (or null).
  function refresh() {
    const ask = ++asked;
    // The gate refuses an empty list; a site without vendors still needs its show_banner.
    let query = `gate?vendors=${vendorIds.length ? vendorIds : 'none'}`;
    // A token is URL-safe base64 (one that is not is invalid either way).
    if (token) query += `&token=${token}`;
    return request(query).then((result) => {
      let next = result && result[0] === 200 && result[1];
      next = next && next.decisions ? next : null;
      if (ask !== asked) return null;
      if (next && token) updateConsentMode(next.consent_mode);
      whenReady(() => ask === asked && apply(next));
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
          whenReady(() => show(next.categories, false, true));
        } else if (next.categories) {
          choice = choiceFrom(next.categories);
        }
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
    choice = tokenChoice() || next;
    // Listeners hear of the change once what it allows has been loaded.
    await refresh();
    for (const fn of listeners.slice()) guard(fn)(choiceFrom(choice));
    return choiceFrom(choice);
  }

  // --- What the page loads: only what the gate's answer allows. ---

  function allowed(id) {
    return !!answer && (answer.decisions[id] || {}).allowed === true;
  }

  // Activate the owner's blocked tags the answer allows; blocked iframes get a placeholder.
  function scan() {
    for (const node of document.querySelectorAll(
      `script[type="text/plain"]${BLOCKED},iframe${BLOCKED}[data-src]`,
    )) {
      const id = node.getAttribute('data-consent-vendor');
      const holder = placeholders.get(node);
      if (!vendors[id]) {
        if (!warned[id])
          console.warn(`[consent] ${id} is not enabled for this site: its tag stays blocked`);
        warned[id] = true;
      } else if (node.localName !== 'iframe') {
        if (allowed(id)) addScript(nonce, node.getAttribute('data-src'), node);
      } else if (allowed(id)) {
        if (holder) holder.remove();
        let src = node.getAttribute('data-src');
        // Vimeo is asked not to track unless performance (analytics) is granted.
        if (id === 'vimeo' && answer.consent_mode.analytics_storage !== 'granted')
          src += (src.includes('?') ? '&' : '?') + 'dnt=1';
        node.removeAttribute('data-src');
        node.style.removeProperty('display');
        node.src = src;
      } else if (!holder) {
        node.style.setProperty('display', 'none', 'important');
        placeholders.set(node, placeholder(node, id, vendors[id]));
      }
    }
  }

  // Load what ``next`` (a gate answer, or null: nothing) allows; never unload anything.
  function apply(next) {
    answer = next;
    for (const id of vendorIds) {
      if (MANAGED[id] && !injected[id] && allowed(id)) {
        injected[id] = true;
        const src = MANAGED[id](vendors[id].settings || {});
        if (src) addScript(nonce, src);
      }
    }
    if (metaRevoked && allowed('meta-pixel') && window.fbq) {
      metaRevoked = false;
      window.fbq('consent', 'grant');
    }
    scan();
  }

  // A choice: revoke at once what it refuses (before the network answers, so a refusal
  // takes effect even offline), then record it after the choices before it.
  function record(action, categories) {
    const next = choiceFrom(categories, action === 'accept_all');
    const off = CATEGORY_IDS.filter((id) => !next[id]);
    // Necessary is never off: strictly necessary vendors are never refused, their cookies stay.
    const refused = vendorIds.filter((id) => off.includes(vendors[id].category));
    close();
    // Their first-party cookies go, on this host and each parent domain. Catalogue patterns
    // are word characters, ``*`` standing for any run of them.
    const patterns = refused.flatMap((id) => vendors[id].cookies || []).join('|');
    const hostname = location.hostname;
    const parts = hostname.split('.');
    if (patterns)
      for (const [name] of cookies().map((cookie) => cookie.split('=')))
        if (RegExp(`^(${patterns.replace(/\*/g, '.*')})$`).test(name))
          // The host itself (no Domain), and each domain but the top-level one; an IP
          // address has no parent domains.
          parts.forEach((_, i) => {
            for (const path of ['/', location.pathname])
              document.cookie = `${name}=; Max-Age=0; Path=${path}${
                i < parts.length - 1 && !/^[\d.]+$|:/.test(hostname)
                  ? `; Domain=${parts.slice(i).join('.')}`
                  : ''
              }`;
          });
    // And their consent APIs hear of it.
    updateConsentMode(consentMode('denied', off));
    if (refused.includes('meta-pixel') && window.fbq) {
      metaRevoked = true;
      window.fbq('consent', 'revoke');
    }
    if (refused.includes('hubspot'))
      (window._hsp = window._hsp || []).push(['revokeCookieConsent']);
    const run = () => send(action, next);
    queue = queue.then(run, run);
    return queue;
  }

  // --- The banner and the placeholders, each in an open shadow root. ---

  let sheet;

  // ``node`` in an open shadow root on a fresh ``tag`` element, away from the page's CSS,
  // styled by the service's stylesheet as a constructable stylesheet (DESIGN.md allows it
  // in place of /embed/banner.css; no CSP directive applies to it). Browsers without them
  // (Safari before 16.4) link /embed/banner.css from the service instead.
  function shadowHost(tag, node) {
    const element = document.createElement(tag);
    const root = element.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } else
      root.append(el('link', { rel: 'stylesheet', href: `${config.api_base}/embed/banner.css` }));
    root.append(node);
    return element;
  }

  function build() {
    dialog = el(
      'div',
      {
        role: 'dialog',
        'aria-labelledby': 'cl-title',
        'aria-describedby': 'cl-desc',
        tabindex: '-1',
        'data-consent-banner': '',
        hidden: '',
      },
      el('h2', { id: 'cl-title' }, texts.title),
      el('p', { id: 'cl-desc' }, texts.description),
      signals.gpc || signals.dnt
        ? el('p', { class: 'cl-notice', role: 'note' }, texts.gpc_notice)
        : null,
      // Links only to http(s) URLs.
      (links = el(
        'p',
        null,
        ...[
          [config.privacy_policy_url, texts.privacy_link],
          [config.cookie_statement_url, labels.cookies],
        ].map(([url, text]) =>
          /^https?:\/\//i.test(url)
            ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text)
            : null,
        ),
      )),
      // Accept and reject: the same element, look and size, side by side.
      (actions = el(
        'div',
        { class: 'cl-actions' },
        button('accept-all', texts.accept_all),
        button('reject-all', texts.reject_all),
        (customize = button('customize', texts.customize, 'cl-secondary')),
      )),
    );
    dialog.addEventListener('click', onClick);
    dialog.addEventListener('keydown', onKey);
    // Built at DOMContentLoaded at the earliest: the body is there.
    document.body.append((host = shadowHost('consent-ledger', dialog)));
  }

  // The second layer: the five categories with their vendors; built when first opened.
  function buildPrefs() {
    if (prefs) return;
    prefs = el(
      'div',
      { class: 'cl-prefs', role: 'group', 'aria-labelledby': 'cl-title' },
      ...CATEGORY_IDS.map((id) => {
        const words = texts.categories[id];
        const names = vendorIds
          .filter((v) => vendors[v].category === id)
          .map((v) => vendors[v].name);
        const input = el('input', {
          type: 'checkbox',
          role: 'switch',
          'data-consent-category': id,
          'aria-describedby': `cl-cat-${id}-desc`,
        });
        input.disabled = id === 'necessary';
        inputs.push(input);
        return el(
          'div',
          { class: 'cl-cat' },
          el('label', null, input, words.title),
          el(
            'div',
            { id: `cl-cat-${id}-desc` },
            el('p', null, words.description),
            names.length ? el('p', null, `${labels.vendors}: ${names.join(', ')}`) : null,
          ),
        );
      }),
    );
    save = button('save', texts.save, 'cl-secondary');
    dialog.insertBefore(prefs, links);
    actions.append(save);
    setSwitches();
  }

  // The switches, in CATEGORY_IDS order (necessary first), from ``initial``.
  function setSwitches() {
    inputs.forEach((input, i) => {
      input.checked = !i || !!(initial && initial[CATEGORY_IDS[i]]);
    });
  }

  function expand(on) {
    if (on) buildPrefs();
    if (prefs) prefs.hidden = save.hidden = !on;
    customize.hidden = on;
  }

  function close() {
    if (!dialog || dialog.hidden) return;
    dialog.hidden = true;
    const target = returnFocus;
    returnFocus = null;
    if (target && target.isConnected) target.focus();
  }

  function onClick(event) {
    const target = event.target.closest('[data-consent-action]');
    const action = target && target.getAttribute('data-consent-action');
    if (!action) return;
    if (action === 'customize') {
      expand(true);
      inputs[1].focus();
      return;
    }
    const picked = {};
    inputs.forEach((input, i) => {
      picked[CATEGORY_IDS[i]] = input.checked;
    });
    close();
    if (action === 'save') record('custom', picked);
    else record(action.replace('-', '_'));
  }

  function onKey(event) {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    // Escape is not a choice: it steps back to the first layer, or closes without recording.
    if (prefs && !prefs.hidden && !startedExpanded) {
      expand(false);
      customize.focus();
    } else {
      close();
    }
  }

  // Show the banner with ``current`` on the switches; ``expanded`` opens the preferences.
  // ``auto`` (shown by the loader, not asked for): focus moves in once it has been painted,
  // so that showing it forces no style and layout of the page before its first frame.
  function show(current, expanded, auto) {
    if (!dialog) build();
    const active = document.activeElement;
    if (dialog.hidden && active !== document.body) returnFocus = active;
    initial = current;
    setSwitches();
    // The admin's live preview shows the second layer's texts too, without a click.
    if (config.preview) buildPrefs();
    expand((startedExpanded = !!expanded));
    dialog.hidden = false;
    const focus = () => {
      if (!dialog.hidden && document.activeElement !== host) dialog.focus();
    };
    if (auto) afterPaint(focus);
    else focus();
  }

  // A click-to-load placeholder before a blocked iframe: allows just that vendor (the
  // current choice plus its category).
  function placeholder(frame, id, vendor) {
    const name = vendor.name;
    const allow = el(
      'button',
      {
        type: 'button',
        'aria-describedby': 'cl-ph-text',
        'data-consent-action': 'allow-vendor',
        'data-consent-vendor': id,
      },
      labels.load,
    );
    allow.addEventListener(
      'click',
      guard(() => record('custom', Object.assign(choiceFrom(choice), { [vendor.category]: true }))),
    );
    const box = el(
      'div',
      { class: 'cl-placeholder', role: 'group', 'aria-label': name },
      el('p', { id: 'cl-ph-text' }, texts.placeholder.split('{vendor}').join(name)),
      allow,
    );
    const holder = shadowHost('consent-ledger-placeholder', box);
    const width = frame.getAttribute('width');
    const height = frame.getAttribute('height');
    if (/^\d+$/.test(width)) holder.style.maxWidth = `${width}px`;
    if (/^\d+$/.test(height)) box.style.minHeight = `${height}px`;
    frame.before(holder);
    return holder;
  }

  // --- Start: the token first; choices wait for it, as each carries the previous one. ---

  // Read once the document is parsed: then the read took 0.3–1.5 ms in a fresh page, about
  // 3.5 ms at the script's start, and the Cookie Store API's promise resolved 3–30 ms late.
  let queue = new Promise((resolve) =>
    whenReady(() => {
      const found = cookies().find((cookie) => cookie.startsWith(`${TOKEN_COOKIE}=`));
      resolve(found && found.slice(TOKEN_COOKIE.length + 1));
    }),
  ).then(
    guard((value) => {
      token = value || null;
      if (token) {
        choice = tokenChoice();
        firstRefresh();
      } else show(null, false, true);
      afterPaint(
        guard(() => {
          if (!token && vendorIds.some((id) => vendors[id].category === 'necessary'))
            firstRefresh();
          scan();
          new MutationObserver(
            guard((records) => {
              for (const item of records)
                for (const node of item.addedNodes)
                  if (node.nodeType === 1 && (node.matches(BLOCKED) || node.querySelector(BLOCKED)))
                    return scan();
              return undefined;
            }),
          ).observe(document.documentElement, { childList: true, subtree: true });
        }),
      );
    }),
  );

  const open = () => whenReady(() => show(choice, true));

  const api = {
    show: open,
    acceptAll: () => record('accept_all'),
    rejectAll: () => record('reject_all'),
    save: (categories) => record('custom', categories),
    withdraw: () => record('withdraw'),
    get: () => choice && choiceFrom(choice),
    on: (event, fn) => {
      if (event === 'change' && typeof fn === 'function') listeners.push(fn);
    },
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
}

guard(() => {
  const config = readConfig();
  if (config && !(window.Consent && window.Consent.get)) start(config);
})();
