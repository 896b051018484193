// The click-to-load placeholder before a blocked iframe.

import { choiceFrom } from './choice.js';
import { choice, record } from './choices.js';
import { el, shadowHost } from './dom.js';
import { guard } from './page.js';
import { labels, texts, vendors } from './site.js';

/**
 * A placeholder before ``frame`` whose button allows vendor ``id``'s category (it says which);
 * for a vendor the site does not enable, one that says so, without a button.
 */
export function placeholder(frame, id) {
  const vendor = vendors[id];
  const name = vendor ? vendor.name : id;
  let allow;
  if (vendor) {
    allow = el(
      'button',
      {
        type: 'button',
        'aria-describedby': 'cl-ph-text',
        'data-consent-action': 'allow-vendor',
        'data-consent-vendor': id,
      },
      labels.load.split('{category}').join(texts.categories[vendor.category].title),
    );
    // The current choice plus the vendor's category.
    allow.addEventListener(
      'click',
      guard(() => record('custom', Object.assign(choiceFrom(choice), { [vendor.category]: true }))),
    );
  }
  const box = el(
    'div',
    { class: 'cl-placeholder', role: 'group', 'aria-label': name },
    el(
      'p',
      { id: 'cl-ph-text' },
      (vendor ? texts.placeholder : labels.disabled).split('{vendor}').join(name),
    ),
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
