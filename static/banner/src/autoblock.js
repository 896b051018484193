// Auto-blocking: the catalogue's trackers that the page or its scripts add after the embed
// are held back in the owner's own blocked-tag form (data-consent-vendor, the URL in
// data-src, a script's type text/plain) until the gate allows their vendor; blocking.js
// releases them with the owner's tags, in document order.
//
// Parser-inserted elements are held by a MutationObserver: the parser runs a microtask
// checkpoint before it prepares a script, so the observer sees the script first. What a
// script adds is held before it can fetch: the src/href setters and setAttribute of
// scripts, frames, images and links, the insertion methods, and innerHTML (parsed inert in
// a template first). Tags written in the HTML may still be fetched by the preload scanner,
// and a frame there starts loading when inserted: neither runs nor shows.

import { BLOCKED } from './constants.js';
import { config } from './site.js';
import { vendorOf } from './trackers.js';

// The vendors whose own tags the page carries (the loader does not inject those again).
export const seen = {};
// The URL attribute of each element type held back.
const URL_OF = { script: 'src', iframe: 'src', img: 'src', link: 'href' };
const TAGS = 'script,iframe,img,link';
const setAttribute = Element.prototype.setAttribute;
// The page's URL (a relative URL's host is its host: read once, not from location each time).
let allowed, base;

// Hold back ``node`` if it is a tracker the gate does not allow yet (``url``: the URL it is
// about to get, else its own); true if held.
function hold(node, url) {
  const tag = node.localName;
  const name = URL_OF[tag];
  if (!name) return false;
  url ??= node.getAttribute(name);
  // The vendor first: most elements are no tracker, and the checks below cost more.
  const id = vendorOf(config.block, url, !url && node.text, base);
  if (
    !id ||
    node.hasAttribute('data-consent-ignore') ||
    node.matches(BLOCKED) ||
    (tag === 'link' && !/\b(preload|prefetch|stylesheet)\b/i.test(node.rel))
  )
    return false;
  seen[id] = 1;
  if (allowed(id)) return false;
  // (dataset sets the attributes natively, past the setAttribute below.)
  node.dataset.consentVendor = id;
  if (url) node.dataset.src = url;
  node.removeAttribute(name);
  // A frame the parser inserted is already loading: send it nowhere.
  if (tag === 'iframe') setAttribute.call(node, 'src', 'about:blank');
  if (tag === 'script') node.type = 'text/plain';
  return true;
}

// Hold back ``node`` and every tracker in it.
function holdAll(node) {
  if (node.nodeType === 1) hold(node);
  if (node.firstElementChild) for (const child of node.querySelectorAll(TAGS)) hold(child);
}

// Replace the setter of ``proto``'s accessor ``name`` (its getter stays) by one that calls
// ``set(value, nativeSet)``.
function wrap(proto, name, set) {
  const native = Object.getOwnPropertyDescriptor(proto, name).set;
  Object.defineProperty(proto, name, {
    set(value) {
      set.call(this, value, native);
    },
  });
}

/** Hold back the trackers added from now on that ``isAllowed(id)`` does not allow (yet). */
export function autoBlock(isAllowed) {
  allowed = isAllowed;
  base = new URL(location.href);
  for (const tag in URL_OF)
    wrap(Object.getPrototypeOf(document.createElement(tag)), URL_OF[tag], function (value, set) {
      if (!hold(this, String(value))) set.call(this, value);
    });
  Element.prototype.setAttribute = function (name, value) {
    const url = URL_OF[this.localName];
    if (!url || url !== String(name).toLowerCase() || !hold(this, String(value)))
      setAttribute.call(this, name, value);
  };
  for (const [proto, names] of [
    [Node.prototype, 'appendChild insertBefore replaceChild'],
    [Element.prototype, 'append prepend before after replaceWith'],
  ])
    for (const name of names.split(' ')) {
      const native = proto[name];
      proto[name] = function () {
        for (const node of arguments) if (node instanceof Node) holdAll(node);
        return native.apply(this, arguments);
      };
    }
  // Parsed in a template, nothing loads; the trackers are held before the nodes move in.
  wrap(Element.prototype, 'innerHTML', function (value, set) {
    const template = document.createElement('template');
    set.call(template, value);
    holdAll(template.content);
    if (this.content) set.call(this, value);
    else this.replaceChildren(template.content);
  });
  return holdAll;
}
