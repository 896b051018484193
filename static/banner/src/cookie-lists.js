// The preferences' cookie lists (issue 21, item 5): under each category, for each vendor, a
// disclosure (<details>: a native, keyboard and screen-reader friendly control) of its
// cookies with their purposes and durations, from the cookie declaration in the page's
// language. Fetched when the preferences are first built (later.js), never by the first
// layer; if it cannot be had, the preferences work without them.
//
// Vendor and owner texts are text: only text nodes, never innerHTML.

import { cookieGroups, declarationQuery } from './cookie-groups.js';
import { CATEGORY_IDS } from './constants.js';
import { el } from './element.js';

/** The declaration's answer, or null (any failure: an error status, the network, 8 s). */
async function fetchDeclaration(config) {
  try {
    const response = await fetch(
      `${config.api_base}/api/v1/sites/${config.site_key}/declaration` +
        declarationQuery(document.documentElement.lang),
      { credentials: 'omit', signal: AbortSignal.timeout(8000) },
    );
    return response.ok ? await response.json() : null;
  } catch (err) {
    return null;
  }
}

/** One vendor's disclosure: "Cookies: Google Analytics (4)", then each cookie's name,
 * purpose and duration, in ``language`` with the declaration's ``labels``. */
function disclosure(group, labels, language) {
  const title = labels.caption.split('{category}').join(group.name);
  return el(
    'details',
    { class: 'cl-cookies', lang: language },
    el('summary', null, `${title} (${group.cookies.length})`),
    el(
      'dl',
      null,
      ...group.cookies.map((cookie) =>
        el(
          'div',
          null,
          el('dt', null, el('code', null, cookie.name)),
          el('dd', null, cookie.purpose || labels.unknown),
          el('dd', null, `${labels.duration}: ${cookie.duration}`),
        ),
      ),
    ),
  );
}

/**
 * Fetch the declaration and add each vendor's cookies to its category in ``prefs`` (its
 * children in CATEGORY_IDS order), for ``config``'s version and ``vendors`` (with their
 * names). Not in the admin's preview nor in an auditor's replay (``config.preview``): the
 * preview shows a draft, which the published declaration does not describe, and a replay
 * shows what a receipt's version made the visitor see, which today's declaration (later
 * versions' vendors, the last scan's durations) is not; the version's vendors, which it
 * does record, stay named under each category.
 */
export async function addCookieLists(config, vendors, prefs) {
  if (config.preview) return;
  const body = await fetchDeclaration(config);
  const groups = cookieGroups(body, vendors, config.policy_version);
  if (!groups) return;
  CATEGORY_IDS.forEach((id, index) => {
    for (const group of groups[id] || [])
      prefs.children[index].append(disclosure(group, body.labels, body.language));
  });
}
