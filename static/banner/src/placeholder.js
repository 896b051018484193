// The click-to-load placeholder before a blocked iframe (built by later.js).

import { choiceFrom } from './choice.js';
import { choice, record } from './choices.js';
import { shadowHost } from './dom.js';
import { guard } from './page.js';
import { fullTexts, later } from './service.js';
import { labels, texts, vendors } from './site.js';

/**
 * A placeholder before ``frame`` whose button allows vendor ``id``'s category (it says which);
 * for a vendor the site does not enable, one that says so, without a button. Resolves the
 * placeholder once built (none if the frame was released meanwhile, or if later.js or the
 * texts cannot be had).
 */
export function placeholder(frame, id) {
  return Promise.all([later(), fullTexts()]).then(
    guard(([loaded]) => {
      const vendor = vendors[id];
      // The current choice plus the vendor's category.
      const allow = guard(() =>
        record('custom', Object.assign(choiceFrom(choice), { [vendor.category]: true })),
      );
      return (
        frame.hasAttribute('data-src') &&
        loaded.placeholder(frame, id, vendor, allow, shadowHost, texts, labels)
      );
    }),
    () => {},
  );
}
