// What the page loads: Consent Mode, the managed vendors, and the owner's blocked tags.
// Only an answer of the gate allows anything; without one everything stays blocked.

import { CONSENT_MODE_PARAMS, CONSENT_MODE_WAIT_MS, VENDOR_URLS } from './config.js';
import { deniedConsentMode, vendorsIn } from './state.js';
import { deleteCookies } from './cookies.js';

const BLOCKED_SCRIPTS = 'script[type="text/plain"][data-consent-vendor]';
const BLOCKED_FRAMES = 'iframe[data-consent-vendor][data-src]';

function gtag() {
  window.gtag.apply(window, arguments);
}

/** Define dataLayer/gtag and deny everything but security storage, before any Google tag. */
export function setConsentDefault() {
  window.dataLayer = window.dataLayer || [];
  if (typeof window.gtag !== 'function') {
    window.gtag = function () {
      window.dataLayer.push(arguments);
    };
  }
  const mode = { security_storage: 'granted', wait_for_update: CONSENT_MODE_WAIT_MS };
  for (const param of Object.keys(CONSENT_MODE_PARAMS)) mode[param] = 'denied';
  gtag('consent', 'default', mode);
}

/** Pass a Consent Mode state (as the gate computed it) to Google's tags. */
export function updateConsentMode(mode) {
  if (mode && Object.keys(mode).length) gtag('consent', 'update', Object.assign({}, mode));
}

function loadScript(src, nonce) {
  const script = document.createElement('script');
  script.async = true;
  script.src = src;
  if (nonce) script.nonce = nonce;
  (document.head || document.documentElement).appendChild(script);
}

// Vendors the loader injects itself when their settings are configured and the gate allows.
const MANAGED = {
  'google-analytics': (s, nonce) => {
    if (!s.measurement_id) return;
    gtag('js', new Date());
    gtag('config', s.measurement_id);
    loadScript(VENDOR_URLS.ga + encodeURIComponent(s.measurement_id), nonce);
  },
  'linkedin-insight': (s, nonce) => {
    if (!s.partner_id) return;
    window._linkedin_partner_id = s.partner_id;
    window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
    window._linkedin_data_partner_ids.push(s.partner_id);
    loadScript(VENDOR_URLS.linkedin, nonce);
  },
  'meta-pixel': (s, nonce) => {
    if (!s.pixel_id) return;
    if (!window.fbq) {
      const fbq = function () {
        if (fbq.callMethod) fbq.callMethod.apply(fbq, arguments);
        else fbq.queue.push(arguments);
      };
      Object.assign(fbq, { push: fbq, loaded: true, version: '2.0', queue: [] });
      window.fbq = fbq;
      if (!window._fbq) window._fbq = fbq;
    }
    // Injected only once the gate allows it, so consent is granted before init.
    window.fbq('consent', 'grant');
    window.fbq('init', s.pixel_id);
    window.fbq('track', 'PageView');
    loadScript(VENDOR_URLS.meta, nonce);
  },
  hubspot: (s, nonce) => {
    if (!s.portal_id) return;
    window._hsp = window._hsp || [];
    loadScript(`${VENDOR_URLS.hubspot}${encodeURIComponent(s.portal_id)}.js`, nonce);
  },
};

function activateScript(blocked, nonce) {
  const script = document.createElement('script');
  for (const attr of Array.from(blocked.attributes)) {
    if (attr.name !== 'type' && attr.name !== 'data-src')
      script.setAttribute(attr.name, attr.value);
  }
  if (nonce) script.nonce = nonce;
  const src = blocked.getAttribute('data-src');
  if (src) {
    script.src = src;
    script.async = blocked.hasAttribute('async');
  } else {
    // Inline tags are re-created with their text; a strict CSP refuses them (use data-src).
    script.text = blocked.text;
  }
  blocked.parentNode.replaceChild(script, blocked);
}

/** The gating of one page; ``env`` gives the nonce, the placeholder renderer and its action. */
export function createGating(config, env) {
  const vendors = config.vendors || {};
  const injected = {};
  const warned = {};
  const placeholders = new WeakMap();
  let answer = null;
  let metaRevoked = false;

  function allowed(id) {
    const decision = answer && answer.decisions && answer.decisions[id];
    return !!decision && decision.allowed === true;
  }

  function enabled(id) {
    if (Object.prototype.hasOwnProperty.call(vendors, id)) return true;
    if (!warned[id]) {
      warned[id] = true;
      console.warn(`[consent] "${id}" is not enabled for this site; its tag stays blocked.`);
    }
    return false;
  }

  function activateFrame(frame, id) {
    const holder = placeholders.get(frame);
    if (holder) holder.remove();
    let src = frame.getAttribute('data-src');
    const mode = answer.consent_mode || {};
    if (id === 'vimeo' && mode.analytics_storage !== 'granted') {
      src += (src.indexOf('?') >= 0 ? '&' : '?') + 'dnt=1';
    }
    frame.removeAttribute('data-src');
    frame.hidden = false;
    frame.style.removeProperty('display');
    frame.src = src;
  }

  function blockFrame(frame, id) {
    if (placeholders.has(frame)) return;
    frame.hidden = true;
    frame.style.setProperty('display', 'none', 'important');
    placeholders.set(frame, env.placeholder(frame, id, vendors[id]));
  }

  function scan() {
    for (const blocked of Array.from(document.querySelectorAll(BLOCKED_SCRIPTS))) {
      const id = blocked.getAttribute('data-consent-vendor');
      if (enabled(id) && allowed(id)) activateScript(blocked, env.nonce);
    }
    for (const frame of Array.from(document.querySelectorAll(BLOCKED_FRAMES))) {
      const id = frame.getAttribute('data-consent-vendor');
      if (!enabled(id)) continue;
      if (allowed(id)) activateFrame(frame, id);
      else blockFrame(frame, id);
    }
  }

  return {
    scan,
    /** Load what ``gateAnswer`` allows (null allows nothing); never unload anything. */
    apply(gateAnswer) {
      answer = gateAnswer;
      for (const id of Object.keys(vendors)) {
        if (MANAGED[id] && !injected[id] && allowed(id)) {
          injected[id] = true;
          MANAGED[id](vendors[id].settings || {}, env.nonce);
        }
      }
      if (metaRevoked && allowed('meta-pixel') && typeof window.fbq === 'function') {
        metaRevoked = false;
        window.fbq('consent', 'grant');
      }
      scan();
    },
    /** Tell vendors of the ``off`` categories, and delete their first-party cookies. */
    revoke(off) {
      // Strictly necessary vendors are never switched off, so their cookies stay.
      const refused = off.filter((category) => category !== 'necessary');
      const ids = vendorsIn(vendors, refused);
      const patterns = [];
      for (const id of ids) patterns.push.apply(patterns, vendors[id].cookies || []);
      deleteCookies(patterns);
      updateConsentMode(deniedConsentMode(off));
      if (ids.indexOf('meta-pixel') >= 0 && typeof window.fbq === 'function') {
        metaRevoked = true;
        window.fbq('consent', 'revoke');
      }
      if (ids.indexOf('hubspot') >= 0) {
        window._hsp = window._hsp || [];
        window._hsp.push(['revokeCookieConsent']);
      }
    },
  };
}
