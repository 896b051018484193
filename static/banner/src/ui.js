// The banner: a dialog in an open shadow root, its first layer built when first shown, the
// second (the categories with their vendors) when first opened.

import { record } from './choices.js';
import { CATEGORY_IDS } from './constants.js';
import { el, shadowHost } from './dom.js';
import { afterPaint } from './page.js';
import { config, labels, signals, texts, unlisted, vendors } from './site.js';
import { vendorsIn } from './vendors.js';

// The banner's elements (``status``: a polite live region) and the switches, in
// CATEGORY_IDS order (necessary first).
let host, dialog, status, links, actions, customize, prefs, save;
const inputs = [];
// Where focus returns on closing; whether the preferences were asked for; what the switches
// show when shown.
let returnFocus, startedExpanded, initial;

function button(action, text, className) {
  return el(
    'button',
    { type: 'button', class: className || '', 'data-consent-action': action },
    text,
  );
}

function build() {
  // The theme's layout and position, as classes (banner.css; absent ones match nothing).
  const { layout, position } = config.theme || {};
  dialog = el(
    'div',
    {
      class: `cl-${layout} cl-${position}`,
      role: 'dialog',
      'aria-labelledby': 'cl-title',
      'aria-describedby': 'cl-desc',
      tabindex: '-1',
      'data-consent-banner': '',
      hidden: '',
    },
    el('h2', { id: 'cl-title' }, texts.title),
    (status = el('p', { role: 'status', class: 'cl-status' })),
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

// The second layer: the five categories with their vendors, a switch for strictly necessary
// and each one with a vendor (one without is described: there is nothing to consent to);
// built when first opened.
function buildPrefs() {
  if (prefs) return;
  prefs = el(
    'div',
    { class: 'cl-prefs', role: 'group', 'aria-labelledby': 'cl-title' },
    ...CATEGORY_IDS.map((id) => {
      const words = texts.categories[id];
      const names = vendorsIn(vendors, [id]).map((v) => vendors[v].name);
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
  save = button('save', texts.save, 'cl-secondary');
  dialog.insertBefore(prefs, links);
  actions.append(save);
  setSwitches();
}

// The switches from ``initial``; necessary (the one disabled) is always on.
function setSwitches() {
  for (const input of inputs) input.checked = input.disabled || !!(initial && initial[input.name]);
}

// Open (or close) the preferences: a modal layer while open.
function expand(on) {
  if (on) buildPrefs();
  if (prefs) prefs.hidden = save.hidden = !on;
  customize.hidden = on;
  dialog.setAttribute('aria-modal', on);
}

/**
 * Hide the banner (if shown); focus goes back where it was, or (the banner showed itself) to
 * the page's first focusable element: never to <body>.
 */
export function close() {
  if (!dialog || dialog.hidden) return;
  dialog.hidden = true;
  status.textContent = '';
  let target = returnFocus;
  returnFocus = null;
  if (!(target && target.isConnected))
    target = document.querySelector('a[href],button,input,select,textarea,[tabindex="0"]');
  if (target) target.focus();
}

/** Say ``text`` politely (a live region in the banner), e.g. that consent was withdrawn. */
export function announce(text) {
  status.textContent = text;
}

function onClick(event) {
  const target = event.target.closest('[data-consent-action]');
  const action = target && target.getAttribute('data-consent-action');
  if (!action) return;
  if (action === 'customize') {
    expand(true);
    (inputs[1] || save).focus();
    return;
  }
  const picked = {};
  for (const input of inputs) picked[input.name] = input.checked;
  if (action === 'save') record('custom', picked);
  else record(action.replace('-', '_'));
}

function onKey(event) {
  const open = prefs && !prefs.hidden;
  // While the preferences are open, Tab stays inside the banner.
  if (event.key === 'Tab' && open) {
    const stops = [...dialog.querySelectorAll('a,button:not([hidden]),input:enabled')];
    const edge = stops[event.shiftKey ? 0 : stops.length - 1];
    if (event.composedPath()[0] === edge) {
      event.preventDefault();
      stops[event.shiftKey ? stops.length - 1 : 0].focus();
    }
  }
  if (event.key !== 'Escape') return;
  event.stopPropagation();
  // Escape is not a choice: it steps back to the first layer, or closes without recording.
  if (open && !startedExpanded) {
    expand(false);
    customize.focus();
  } else {
    close();
  }
}

/**
 * Show the banner with ``current`` on the switches; ``expanded`` opens the preferences.
 * ``auto`` (shown by the loader, not asked for): focus moves in once it has been painted,
 * so that showing it forces no style and layout of the page before its first frame.
 */
export function show(current, expanded, auto) {
  if (unlisted) return;
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
