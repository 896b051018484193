// What the first layer does not need, a bundle of its own that service.js loads when first
// needed, so that the first layer (on every page of the owner's site) does not carry it: the
// preferences layer (the second), when first opened, with its cookie lists (cookie-lists.js);
// the placeholder of a blocked frame, when
// the page has one; the release of blocked tags the gate allows (release.js), when a page
// has one; the set-up of the vendors the loader injects itself, when the gate first
// allows one with settings; and keeping the page's focus clear of the first layer, when a
// control of the page first takes it. It is served as part of
// the first layer's build (/embed/builds/<build>/later.js), whose code names its sha256 as the
// script's integrity (LATER_INTEGRITY): the build covers it.
//
// Running, it hands over its exports in the event 'consent-ledger-later' (no global).

// dist/later.css as text (build.sh aliases this name to the minified stylesheet).
import css from 'consent-later-css';
import { CATEGORY_IDS } from './constants.js';
import { addCookieLists } from './cookie-lists.js';
import { el } from './element.js';
import { addScript, release } from './release.js';
import { MANAGED } from './vendor-apis.js';

let sheet;

// This bundle's stylesheet, after the first layer's, in shadow ``root`` (browsers without
// constructable stylesheets link both: dom.js).
function adopt(root) {
  if (root.adoptedStyleSheets) {
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }
}

/**
 * The five categories with their vendors, each a switch in ``inputs`` when it is strictly
 * necessary or has a vendor (one without is described: there is nothing to consent to), put
 * hidden in ``dialog``: the stylesheet adopted into its shadow root, and Tab kept inside it
 * while they show; the vendors' cookies follow when the declaration arrives. ``config``,
 * ``texts``, ``labels`` and ``vendors``: the first layer's.
 */
function buildPrefs(config, texts, labels, vendors, inputs, dialog) {
  adopt(dialog.getRootNode());
  const prefs = el(
    'div',
    { class: 'cl-prefs', role: 'group', 'aria-labelledby': 'cl-title', hidden: '' },
    ...CATEGORY_IDS.map((id) => {
      const words = texts.categories[id];
      // A loader whose owner named the categories its container serves (Tag Manager's
      // settings.serves) is listed under each of them: the gate allows it when any is.
      const names = Object.keys(vendors)
        .filter((v) => ((vendors[v].settings || {}).serves || [vendors[v].category]).includes(id))
        .map((v) => vendors[v].name);
      const input =
        (id === 'necessary' || names.length) &&
        el('input', {
          type: 'checkbox',
          role: 'switch',
          name: id,
          'data-consent-category': id,
          'aria-describedby': `cl-cat-${id}-desc`,
        });
      if (input) {
        input.disabled = id === 'necessary';
        inputs.push(input);
      }
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
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab' || prefs.hidden) return;
    const stops = [...dialog.querySelectorAll('a,button:not([hidden]),input:enabled,summary')];
    const edge = stops[event.shiftKey ? 0 : stops.length - 1];
    if (event.composedPath()[0] === edge) {
      event.preventDefault();
      stops[event.shiftKey ? stops.length - 1 : 0].focus();
    }
  });
  // Focus never hides under the buttons that stay in view (WCAG 2.4.11): a control that
  // takes focus beneath them is scrolled up above them.
  dialog.addEventListener('focusin', (event) => {
    const bar = dialog.querySelector('.cl-actions');
    const target = event.composedPath()[0];
    if (prefs.hidden || bar.contains(target)) return;
    const below = target.getBoundingClientRect().bottom + 8 - bar.getBoundingClientRect().top;
    if (below > 0) dialog.scrollTop += below;
  });
  // Hidden, before the first layer's links: the paragraph before its buttons, the dialog's
  // last child (ui.js's build, of the same build as this code).
  dialog.lastChild.previousSibling.before(prefs);
  addCookieLists(config, vendors, prefs).catch((err) => console.warn('[consent]', err));
  return prefs;
}

/**
 * A placeholder before ``frame`` (in a shadow host from ``shadowHost``) whose button (``allow``
 * its category on click) says which category it allows for ``vendor`` (``id``'s); for a vendor
 * the site does not enable, one that says so, without a button. ``texts`` and ``labels``: the
 * first layer's.
 */
function placeholder(frame, id, vendor, allow, shadowHost, texts, labels) {
  const name = vendor ? vendor.name : id;
  const box = el(
    'div',
    { class: 'cl-placeholder', role: 'group', 'aria-label': name },
    el(
      'p',
      { id: 'cl-ph-text' },
      (vendor ? texts.placeholder : labels.disabled).split('{vendor}').join(name),
    ),
    vendor &&
      el(
        'button',
        {
          type: 'button',
          'aria-describedby': 'cl-ph-text',
          'data-consent-action': 'allow-vendor',
          'data-consent-vendor': id,
        },
        labels.load.split('{category}').join(texts.categories[vendor.category].title),
      ),
  );
  if (vendor) box.lastChild.addEventListener('click', allow);
  const holder = shadowHost('consent-ledger-placeholder', box);
  adopt(holder.shadowRoot);
  const width = frame.getAttribute('width');
  const height = frame.getAttribute('height');
  if (/^\d+$/.test(width)) holder.style.maxWidth = `${width}px`;
  if (/^\d+$/.test(height)) box.style.minHeight = `${height}px`;
  frame.before(holder);
  return holder;
}

/**
 * ``target``, a control of the page that took the focus while the first layer shows, is
 * scrolled clear of the banner's ``dialog`` if under it: above a banner in the lower half,
 * below one in the upper (WCAG 2.2's 2.4.11). Before the next paint, once the browser has
 * scrolled it into view (focus moved on meanwhile: each in turn, the last one last). At the
 * page's end the banner's ``host``, in the page's flow after it, makes the room (ui.js's
 * close takes it back).
 */
function unobscure(target, dialog, host) {
  requestAnimationFrame(() => {
    const box = dialog.getBoundingClientRect();
    const it = target.getBoundingClientRect();
    const lower = box.top + box.bottom > innerHeight;
    if (it.bottom > box.top && it.top < box.bottom && it.right > box.left && it.left < box.right) {
      if (lower) host.style.minHeight = `${box.height + 16}px`;
      scrollBy(0, lower ? it.bottom - box.top + 8 : it.top - box.bottom - 8);
    }
  });
}

document.dispatchEvent(
  new CustomEvent('consent-ledger-later', {
    detail: { buildPrefs, placeholder, managed: MANAGED, release, addScript, unobscure },
  }),
);
