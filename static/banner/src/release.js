// Releasing the blocked tags (the owner's and those auto-blocking held) that the gate's latest
// answer allows, and a placeholder on each blocked frame: the part of blocking.js that
// later.js carries, loaded only once a blocked tag needs it (blocking.js's scan).

import { PENDING } from './constants.js';

// The vendors warned about; each blocked frame's placeholder (a promise of it); whether a
// released script that blocks the ones after it (no async) is loading.
const warned = {};
const placeholders = new WeakMap();
let loading;

/**
 * A script element like ``from`` (its attributes but type and data-src, its nonce) in its
 * place, or a new one for ``src`` at the end of <head>, with ``nonce`` (the embed's); true if
 * the scripts after ``from`` wait for it (as the parser would have: an external script
 * without async), until it has loaded or failed, and then ``resume``.
 */
export function addScript(src, from, nonce, resume) {
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
    const done = () => {
      loading = 0;
      resume();
    };
    node.addEventListener('load', done);
    node.addEventListener('error', done);
    return (loading = 1);
  }
}

/**
 * Activate the blocked tags that the gate's latest answer allows: scripts re-created in
 * document order, frames and images given their URL back; a blocked frame gets a placeholder
 * meanwhile. ``page()`` gives the first layer's state now: ``{answer, allowed, vendors,
 * nonce, placeholder, scan}`` (``scan`` comes back here once a released script has loaded).
 */
export function release(page) {
  if (loading) return;
  const { answer, allowed, vendors, nonce, placeholder, scan } = page();
  for (const node of document.querySelectorAll(PENDING)) {
    const id = node.getAttribute('data-consent-vendor');
    const holder = placeholders.get(node);
    const tag = node.localName;
    // A blocked frame: hidden, its placeholder before it.
    const block = () => {
      node.style.setProperty('display', 'none', 'important');
      placeholders.set(node, placeholder(node, id));
    };
    if (!vendors[id]) {
      if (!warned[id])
        // The gate's reason: the vendor is not enabled for this site.
        console.warn(`[consent] ${id} held back: vendor_disabled`);
      warned[id] = true;
      // A frame says so instead of an empty box.
      if (tag === 'iframe' && !holder) block();
    } else if (tag === 'script') {
      if (allowed(id) && addScript(node.getAttribute('data-src'), node, nonce, scan)) return;
    } else if (allowed(id)) {
      if (holder) holder.then((box) => box && box.remove());
      let src = node.getAttribute('data-src');
      // Vimeo is asked not to track unless performance (analytics) is granted.
      if (id === 'vimeo' && answer.consent_mode.analytics_storage !== 'granted')
        src += (src.includes('?') ? '&' : '?') + 'dnt=1';
      node.removeAttribute('data-src');
      node.style.removeProperty('display');
      node[tag === 'link' ? 'href' : 'src'] = src;
    } else if (tag === 'iframe' && !holder) block();
  }
}
