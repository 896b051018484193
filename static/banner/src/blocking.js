// What the vendors may do on the page: load the managed vendors and the owner's blocked tags
// that the gate's latest answer allows (never unloaded), and tell the vendors' consent APIs
// when a choice refuses them.

import { autoBlock, seen } from './autoblock.js';
import { BLOCKED, PENDING } from './constants.js';
import { guard } from './page.js';
import { placeholder } from './placeholder.js';
import { later } from './service.js';
import { config, nonce, vendorIds, vendors } from './site.js';

// The gate's latest answer (none yet: nothing allowed); the managed vendors injected; whether
// Meta's consent was revoked since its pixel was last allowed.
let answer;
const injected = {};
let metaRevoked = false;
// Auto-blocking's hold for added nodes (none when off); whether blocked tags are scanned yet.
let holdAll;
let watching;

// Whether the latest answer allows vendor ``id``.
function allowed(id) {
  return !!answer && (answer.decisions[id] || {}).allowed === true;
}

// The first layer's state as later.js's release reads it.
const state = () => ({ answer, allowed, vendors, nonce, placeholder, scan });

/**
 * Release the blocked tags that the answer allows, say which vendors the site does not
 * enable, and give each blocked frame a placeholder: later.js's work (release.js), loaded only
 * when a blocked tag needs any of it.
 */
export function scan() {
  for (const node of document.querySelectorAll(PENDING)) {
    const id = node.getAttribute('data-consent-vendor');
    if (node.localName === 'iframe' || !vendors[id] || allowed(id))
      return later().then(guard(({ release }) => release(state)), () => {});
  }
}

/**
 * Load what ``next`` (a gate answer, or null: nothing) allows; never unload anything. A promise
 * when the release needs later.js.
 */
export function apply(next) {
  answer = next;
  // The vendors the loader injects itself (from their settings; their set-up is in later.js)
  // unless the page carries their own snippet.
  const due = vendorIds.filter((id) => vendors[id].settings && !injected[id] && allowed(id));
  if (due.length)
    later().then(
      guard(({ managed, addScript }) => {
        for (const id of due)
          if (managed[id] && !injected[id] && !seen[id]) {
            injected[id] = true;
            const src = managed[id](vendors[id].settings);
            if (src) addScript(src, null, nonce);
          }
      }),
      () => {},
    );
  if (metaRevoked && allowed('meta-pixel') && window.fbq) {
    metaRevoked = false;
    window.fbq('consent', 'grant');
  }
  return scan();
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
