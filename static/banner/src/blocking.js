// What the vendors may do on the page: load the managed vendors and the owner's blocked tags
// that the gate's latest answer allows (never unloaded), and tell the vendors' consent APIs
// when a choice refuses them.

import { autoBlock, seen } from './autoblock.js';
import { BLOCKED } from './constants.js';
import { guard } from './page.js';
import { placeholder } from './placeholder.js';
import { later } from './service.js';
import { config, nonce, vendorIds, vendors } from './site.js';

// The gate's latest answer (none yet: nothing allowed); the managed vendors injected; the
// vendors warned about; each blocked iframe's placeholder (a promise of it); whether Meta's consent was revoked
// since its pixel was last allowed.
let answer;
const injected = {};
const warned = {};
const placeholders = new WeakMap();
let metaRevoked = false;
// Auto-blocking's hold for added nodes (none when off); whether blocked tags are scanned yet;
// whether a released script that blocks the ones after it (no async) is loading.
let holdAll;
let watching;
let loading;

// A script element like ``from`` (its attributes but type and data-src, its nonce) in its
// place, or a new one for ``src`` at the end of <head>; true if the scripts after ``from``
// wait for it (as the parser would have: an external script without async), until it has
// loaded or failed.
function addScript(src, from) {
  const node = document.createElement('script');
  for (const attr of from ? from.attributes : [])
    if (attr.name !== 'type' && attr.name !== 'data-src') node.setAttribute(attr.name, attr.value);
  const once = (from && from.nonce) || nonce;
  if (once) node.nonce = once;
  node.async = !from || from.hasAttribute('async');
  if (src) node.src = src;
  // Inline tags are re-created with their text; a strict CSP refuses them (use data-src).
  else node.text = from.text;
  if (from) from.replaceWith(node);
  else document.head.append(node);
  if (src && !node.async) {
    const resume = () => {
      loading = 0;
      scan();
    };
    node.addEventListener('load', resume);
    node.addEventListener('error', resume);
    return (loading = 1);
  }
}

// A blocked frame: hidden, its placeholder before it.
function block(node, id) {
  node.style.setProperty('display', 'none', 'important');
  placeholders.set(node, placeholder(node, id));
}

// Whether the latest answer allows vendor ``id``.
function allowed(id) {
  return !!answer && (answer.decisions[id] || {}).allowed === true;
}

/**
 * Activate the blocked tags (the owner's and those auto-blocking held) that the answer
 * allows: scripts re-created in document order, frames and images given their URL back;
 * a blocked frame gets a placeholder meanwhile.
 */
export function scan() {
  if (loading) return;
  for (const node of document.querySelectorAll(
    `script[type="text/plain"]${BLOCKED},:is(iframe,img,link)${BLOCKED}[data-src]`,
  )) {
    const id = node.getAttribute('data-consent-vendor');
    const holder = placeholders.get(node);
    const tag = node.localName;
    if (!vendors[id]) {
      if (!warned[id])
        // The gate's reason: the vendor is not enabled for this site.
        console.warn(`[consent] ${id} held back: vendor_disabled`);
      warned[id] = true;
      // A frame says so instead of an empty box.
      if (tag === 'iframe' && !holder) block(node, id);
    } else if (tag === 'script') {
      if (allowed(id) && addScript(node.getAttribute('data-src'), node)) return;
    } else if (allowed(id)) {
      if (holder) holder.then((box) => box && box.remove());
      let src = node.getAttribute('data-src');
      // Vimeo is asked not to track unless performance (analytics) is granted.
      if (id === 'vimeo' && answer.consent_mode.analytics_storage !== 'granted')
        src += (src.includes('?') ? '&' : '?') + 'dnt=1';
      node.removeAttribute('data-src');
      node.style.removeProperty('display');
      node[tag === 'link' ? 'href' : 'src'] = src;
    } else if (tag === 'iframe' && !holder) block(node, id);
  }
}

/** Load what ``next`` (a gate answer, or null: nothing) allows; never unload anything. */
export function apply(next) {
  answer = next;
  // The vendors the loader injects itself (from their settings; their set-up is in later.js)
  // unless the page carries their own snippet.
  const due = vendorIds.filter((id) => vendors[id].settings && !injected[id] && allowed(id));
  if (due.length)
    later().then(
      guard(({ managed }) => {
        for (const id of due)
          if (managed[id] && !injected[id] && !seen[id]) {
            injected[id] = true;
            const src = managed[id](vendors[id].settings);
            if (src) addScript(src);
          }
      }),
      () => {},
    );
  if (metaRevoked && allowed('meta-pixel') && window.fbq) {
    metaRevoked = false;
    window.fbq('consent', 'grant');
  }
  scan();
}

// Watch what the page adds: auto-blocking holds trackers back; blocked tags are scanned.
function observer() {
  new MutationObserver(
    guard((records) => {
      let found;
      for (const item of records) {
        // A script whose text grew (the parser may read it in pieces) is checked again: the
        // parser runs the observer once more before the script.
        const owner = item.target.nodeType === 1 ? item.target : item.target.parentNode;
        if (holdAll && owner && owner.localName === 'script') holdAll(owner);
        for (const node of item.addedNodes) {
          if (holdAll) holdAll(node);
          // (Not before the first scan: it finds them all.)
          found ||=
            watching && node.nodeType === 1 && (node.matches(BLOCKED) || node.querySelector(BLOCKED));
        }
      }
      if (found && watching) scan();
    }),
  ).observe(document.documentElement, { childList: true, subtree: true, characterData: !!holdAll });
}

/** At the start: with auto-blocking on, hold back from now on what the gate does not allow. */
export function observe() {
  if (config.block) {
    // Strictly necessary vendors are never refused: theirs run at once.
    holdAll = autoBlock((id) => allowed(id) || (vendors[id] || {}).category === 'necessary');
    observer();
  }
}

/** Scan now, and again whenever the page adds a blocked tag. */
export function watch() {
  watching = 1;
  if (!holdAll) observer();
  scan();
}

/** Tell the consent APIs of the ``refused`` vendors' scripts (their cookies go elsewhere). */
export function revokeVendors(refused) {
  if (refused.includes('meta-pixel') && window.fbq) {
    metaRevoked = true;
    window.fbq('consent', 'revoke');
  }
  if (refused.includes('hubspot')) (window._hsp = window._hsp || []).push(['revokeCookieConsent']);
}
