// The banner and the iframe placeholders, each in an open shadow root away from host CSS.
// Texts are plain text: only textContent, never innerHTML.

import { CATEGORY_IDS } from './config.js';
import { fillVendor, safeUrl } from './state.js';

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const name of Object.keys(attrs || {})) node.setAttribute(name, attrs[name]);
  if (text != null) node.textContent = String(text);
  return node;
}

// A shadow root on a fresh host element, styled only by the service's stylesheet.
function shadowHost(tag, cssHref) {
  const host = document.createElement(tag);
  const root = host.attachShadow({ mode: 'open' });
  const link = el('link', { rel: 'stylesheet', href: cssHref });
  // Shown once the stylesheet has loaded (or failed), so it never flashes unstyled.
  const styled = new Promise((resolve) => {
    link.addEventListener('load', resolve);
    link.addEventListener('error', resolve);
    setTimeout(resolve, 3000);
  });
  root.appendChild(link);
  return { host, root, styled };
}

function button(action, text, extraClass) {
  return el(
    'button',
    { type: 'button', class: `cl-btn ${extraClass}`, 'data-consent-action': action },
    text,
  );
}

function categoryRow(config, texts, labels, id) {
  const words = (texts.categories && texts.categories[id]) || {};
  const entry = (config.categories || []).filter((c) => c.id === id)[0] || {};
  const names = (entry.vendors || []).map((v) => (config.vendors[v] ? config.vendors[v].name : v));
  const row = el('div', { class: 'cl-cat' });
  const input = el('input', {
    type: 'checkbox',
    role: 'switch',
    id: `cl-cat-${id}`,
    'data-consent-category': id,
    'aria-describedby': `cl-cat-${id}-desc`,
  });
  if (id === 'necessary') {
    input.checked = true;
    input.disabled = true;
  }
  const head = el('div', { class: 'cl-cat-head' });
  head.append(input, el('label', { for: `cl-cat-${id}` }, words.title || id));
  const desc = el('div', { id: `cl-cat-${id}-desc`, class: 'cl-cat-desc' });
  desc.appendChild(el('p', null, words.description || ''));
  if (names.length)
    desc.appendChild(el('p', { class: 'cl-vendors' }, `${labels.vendors}: ${names.join(', ')}`));
  row.append(head, desc);
  return row;
}

function links(config, texts, labels) {
  const box = el('p', { class: 'cl-links' });
  const add = (url, text) => {
    if (safeUrl(url))
      box.appendChild(el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text));
  };
  add(config.privacy_policy_url, texts.privacy_link);
  add(config.cookie_statement_url, labels.cookies);
  return box;
}

/** The banner; ``onChoice(action, categories)`` is called for a choice, never for Escape. */
export function createBanner({ config, texts, labels, notice, cssHref, onChoice }) {
  let view = null;
  let returnFocus = null;

  function build() {
    const { host, root, styled } = shadowHost('consent-ledger', cssHref);
    const dialog = el('div', {
      class: 'cl-banner',
      role: 'dialog',
      'aria-labelledby': 'cl-title',
      'aria-describedby': 'cl-desc',
      tabindex: '-1',
      'data-consent-banner': '',
    });
    dialog.hidden = true;
    dialog.append(
      el('h2', { id: 'cl-title' }, texts.title),
      el('p', { id: 'cl-desc' }, texts.description),
    );
    if (notice) dialog.appendChild(el('p', { class: 'cl-notice', role: 'note' }, texts.gpc_notice));
    const prefs = el('div', { class: 'cl-prefs', role: 'group', 'aria-labelledby': 'cl-title' });
    for (const id of CATEGORY_IDS) prefs.appendChild(categoryRow(config, texts, labels, id));
    const actions = el('div', { class: 'cl-actions' });
    const customize = button('customize', texts.customize, 'cl-secondary');
    const save = button('save', texts.save, 'cl-secondary');
    // Accept and reject: the same element, class and size, side by side.
    actions.append(
      button('accept-all', texts.accept_all, 'cl-primary'),
      button('reject-all', texts.reject_all, 'cl-primary'),
      customize,
      save,
    );
    dialog.append(prefs, links(config, texts, labels), actions);
    root.appendChild(dialog);
    (document.body || document.documentElement).appendChild(host);
    const next = { dialog, prefs, customize, save, styled, startedExpanded: false };
    dialog.addEventListener('click', (event) => onClick(event));
    dialog.addEventListener('keydown', (event) => onKey(event));
    return next;
  }

  function expand(on) {
    view.prefs.hidden = !on;
    view.save.hidden = !on;
    view.customize.hidden = on;
  }

  function switches() {
    const choice = {};
    for (const input of Array.from(view.prefs.querySelectorAll('input[data-consent-category]'))) {
      choice[input.getAttribute('data-consent-category')] = input.checked;
    }
    return choice;
  }

  function close() {
    if (!view || view.dialog.hidden) return;
    view.dialog.hidden = true;
    const target = returnFocus;
    returnFocus = null;
    if (target && target.isConnected && typeof target.focus === 'function') target.focus();
  }

  function onClick(event) {
    const target = event.target.closest('[data-consent-action]');
    if (!target) return;
    const action = target.getAttribute('data-consent-action');
    if (action === 'customize') {
      expand(true);
      view.prefs.querySelector('input:not([disabled])').focus();
      return;
    }
    const choice = action === 'save' ? switches() : null;
    close();
    onChoice(action === 'save' ? 'custom' : action.replace('-', '_'), choice);
  }

  function onKey(event) {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    // Escape is not a choice: it steps back to the first layer, or closes without recording.
    if (!view.prefs.hidden && !view.startedExpanded) {
      expand(false);
      view.customize.focus();
    } else {
      close();
    }
  }

  return {
    /** Show the banner with ``choice`` on the switches; ``expanded`` opens the preferences. */
    show(choice, expanded) {
      if (!view) view = build();
      const active = document.activeElement;
      if (view.dialog.hidden && active && active !== document.body) returnFocus = active;
      for (const input of Array.from(view.prefs.querySelectorAll('input[data-consent-category]'))) {
        const id = input.getAttribute('data-consent-category');
        input.checked = id === 'necessary' || !!(choice && choice[id]);
      }
      view.startedExpanded = !!expanded;
      expand(!!expanded);
      view.styled.then(() => {
        view.dialog.hidden = false;
        view.dialog.focus();
      });
    },
    hide: close,
  };
}

/** A click-to-load placeholder before ``frame``; its button calls ``onAllow``. */
export function createPlaceholder(frame, { id, name, texts, labels, cssHref, onAllow }) {
  const { host, root, styled } = shadowHost('consent-ledger-placeholder', cssHref);
  const text = fillVendor(texts.placeholder, name);
  const box = el('div', { class: 'cl-placeholder', role: 'group', 'aria-label': name });
  box.hidden = true;
  const para = el('p', { id: 'cl-ph-text' }, text);
  const allow = el(
    'button',
    { type: 'button', class: 'cl-btn cl-primary', 'aria-describedby': 'cl-ph-text' },
    labels.load,
  );
  allow.setAttribute('data-consent-action', 'allow-vendor');
  allow.setAttribute('data-consent-vendor', id);
  allow.addEventListener('click', onAllow);
  box.append(para, allow);
  root.appendChild(box);
  const width = frame.getAttribute('width');
  const height = frame.getAttribute('height');
  if (width && /^\d+$/.test(width)) host.style.setProperty('max-width', `${width}px`);
  if (height && /^\d+$/.test(height)) box.style.setProperty('min-height', `${height}px`);
  frame.parentNode.insertBefore(host, frame);
  styled.then(() => {
    box.hidden = false;
  });
  return host;
}
