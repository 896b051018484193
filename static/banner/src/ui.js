// The banner: a dialog in an open shadow root, its first layer built when first shown, the
// second (the categories with their vendors) when first opened.

import { record } from './choices.js';
import { el, shadowHost } from './dom.js';
import { afterPaint, guard } from './page.js';
import { fullTexts, later } from './service.js';
import { config, labels, signals, texts, unlisted, vendors } from './site.js';

// The banner's elements (``status``: a polite live region) and the switches, in
// CATEGORY_IDS order (necessary first).
let host, dialog, status, actions, customize, prefs, save;
const inputs = [];
// Where focus returns on closing; whether the preferences were asked for; what the switches
// show when shown.
let returnFocus, startedExpanded, initial, expanded;

function button(action, text, className) {
  return el(
    'button',
    { type: 'button', class: className || '', 'data-consent-action': action },
    text,
  );
}

function build() {
  // The theme's layout and position, as classes (banner.css). The embed leaves out members
  // at their default: an absent one adds no class (join writes undefined as nothing).
  const { layout, position } = config.theme || {};
  dialog = el(
    'div',
    {
      class: [layout, position].join(' '),
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
    // (The embed carries the notice when the browser sent the signal's header too.)
    (signals.gpc || signals.dnt) && texts.gpc_notice
      ? el('p', { class: 'cl-notice', role: 'note' }, texts.gpc_notice)
      : null,
    // Links only to http(s) URLs.
    el(
      'p',
      null,
      ...[
        [config.privacy_policy_url, texts.privacy_link],
        [config.cookie_statement_url, labels.cookies],
      ].map(([url, text]) =>
        ['http://', 'https://'].some((start) => (url || '').toLowerCase().startsWith(start))
          ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text)
          : null,
      ),
    ),
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
  document.addEventListener('focusin', onPageFocus);
  // Built at DOMContentLoaded at the earliest: the body is there.
  document.body.append((host = shadowHost('consent-ledger', dialog)));
}

// The second layer, built when first opened, from later.js and the texts only it shows
// (fullTexts). Resolves once built; rejects if either cannot be had (the first layer stays,
// and the next opening tries again).
function buildPrefs() {
  return Promise.all([
    later(),
    fullTexts(),
  ]).then((loaded) => {
    if (prefs) return;
    // In place (later.js puts them before the links), hidden until expand shows them.
    prefs = loaded[0].buildPrefs(config, texts, labels, vendors, inputs, dialog);
    save = button('save', texts.save, 'cl-secondary');
    save.hidden = true;
    actions.append(save);
    setSwitches();
  });
}

// The switches from ``initial``; necessary (the one disabled) is always on.
function setSwitches() {
  for (const input of inputs) input.checked = input.disabled || !!(initial && initial[input.name]);
}

// The preferences shown if asked for (``expanded``) and built: a modal layer while open.
function shown() {
  if (prefs) prefs.hidden = save.hidden = !expanded;
  customize.hidden = expanded && !!prefs;
  dialog.setAttribute('aria-modal', expanded && !!prefs);
}

// Open (or close) the preferences; resolves once shown (the first time, once built: the first
// layer stays meanwhile, and if they cannot be loaded).
function expand(on) {
  expanded = on;
  shown();
  if (on) return buildPrefs().then(guard(shown), () => {});
}

/**
 * Hide the banner (if shown); focus goes back where it was, or (the banner showed itself) to
 * the page's first focusable element: never to <body>.
 */
export function close() {
  if (!dialog || dialog.hidden) return;
  dialog.hidden = true;
  status.textContent = host.style.minHeight = '';
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
    expand(true).then(guard(() => expanded && prefs && (inputs[1] || save).focus()));
    return;
  }
  const picked = {};
  for (const input of inputs) picked[input.name] = input.checked;
  if (action === 'save') record('custom', picked);
  else record(action.replace('-', '_'));
}

// A control of the page reached (by Tab) under the banner is scrolled clear of it (later.js's
// unobscure). Focus inside the banner comes as the host's.
function onPageFocus({ target }) {
  if (target !== host && !dialog.hidden)
    later().then(({ unobscure }) => unobscure(target, dialog, host), () => {});
}

// (While the preferences are open, Tab stays inside the banner: later.js.)
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
  if (config.preview) buildPrefs().catch(() => {});
  expand((startedExpanded = !!expanded));
  dialog.hidden = false;
  const focus = () => {
    if (!dialog.hidden && document.activeElement !== host) dialog.focus();
  };
  if (!auto) focus();
  // (The admin's preview and an auditor's replay never take the focus from their page.)
  else if (!config.preview) afterPaint(focus);
}
