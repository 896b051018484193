// The cookie declaration: fills every [data-consent-declaration] element of the owner's page
// with one accessible table per category (and one of what no vendor explains), in the page's
// language, from GET /api/v1/sites/<key>/declaration.
//
// A bundle of its own (build.sh: dist/declaration.js, served at /embed/declaration.js), which
// the first layer loads only on a page that has the element: the first layer is on every page
// of the owner's site, the declaration on one. Its URL is the same for every site (one cached
// copy); the embed names the site after '#' (never sent, so the cache is shared): its own src
// is the service's address and the site key. The table's words come with the answer, in the
// language it was given in; the tables take the page's own styles (class names
// consent-declaration__*). Of its own it brings only what keeps a table readable on a phone
// (STYLE): each table scrolls sideways in a region of its own, its caption in view.
//
// Owner texts and cookie names are text: only textContent and text nodes, never innerHTML.

const PREFIX = 'consent-declaration';

// The declaration's own rules, added to the owner's page (a constructable stylesheet: no CSP
// directive applies to it), scoped to its classes and of no specificity (:where), so that any
// rule of the owner's wins: a table wider than the page (five columns at a phone's width)
// scrolls in its region, not the page; its caption (title and description) stays at the
// region's start, at most the region's width, wrapping in view as the table scrolls.
const STYLE = `:where(.${PREFIX}__scroll){overflow-x:auto;container-type:inline-size}
:where(.${PREFIX}__scroll caption){position:sticky;inset-inline-start:0;box-sizing:border-box;max-width:100cqi}`;

/** An element with a class, attributes and children (strings become text nodes). */
function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const name in attrs) node.setAttribute(name, attrs[name]);
  node.append(...kids.filter((kid) => kid != null));
  return node;
}

/** The type column: "HTTP cookie, third party". */
function typeText(cookie, labels) {
  return `${labels[cookie.type] || cookie.type}, ${labels[cookie.first_party ? 'first_party' : 'third_party']}`;
}

/** One table in its scroll region (named as the table, focusable so that a keyboard scrolls
 * it): its caption (title and description), a row per cookie, or one saying none. */
function table(title, description, cookies, labels) {
  const columns = ['name', 'provider', 'purpose', 'duration', 'type'];
  const rows = cookies.map((cookie) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, el('code', {}, cookie.name)),
      el('td', {}, cookie.provider || labels.unknown),
      el('td', {}, cookie.purpose || labels.unknown),
      el('td', {}, cookie.duration),
      el('td', {}, typeText(cookie, labels)),
    ),
  );
  if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: columns.length }, labels.none)));
  const name = labels.caption.replace('{category}', title);
  const scroll = { class: `${PREFIX}__scroll`, role: 'region', 'aria-label': name, tabindex: 0 };
  return el(
    'div',
    scroll,
    el(
      'table',
      { class: `${PREFIX}__table` },
      el(
        'caption',
        {},
        el('span', { class: `${PREFIX}__title` }, name),
        el('br'),
        el('span', { class: `${PREFIX}__description` }, description),
      ),
      el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col' }, labels[c])))),
      el('tbody', {}, ...rows),
    ),
  );
}

/** The declaration's nodes: a table per category, the unclassified ones, when last scanned. */
export function render(body) {
  const labels = body.labels;
  const nodes = Object.values(body.categories).map((c) =>
    table(c.title, c.description, c.cookies, labels),
  );
  if (body.unclassified.length)
    nodes.push(
      table(labels.unclassified, labels.unclassified_description, body.unclassified, labels),
    );
  if (body.scanned_at) {
    const date = new Date(body.scanned_at).toLocaleDateString(body.language);
    nodes.push(el('p', { class: `${PREFIX}__scanned` }, labels.scanned.replace('{date}', date)));
  }
  return nodes;
}

/** Fetch the declaration in the page's language and fill every element; on any failure the
 * elements keep what the owner put in them. */
async function fill(src) {
  const [base, key] = src.split('/embed/declaration.js#');
  // The primary subtag of <html lang>, as the banner picks its language; the service falls
  // back to the site's default for a language without texts (and refuses a malformed one).
  const lang = document.documentElement.lang.split('-')[0].toLowerCase();
  const query = /^[a-z]{2,3}$/.test(lang) ? `?lang=${lang}` : '';
  const response = await fetch(`${base}/api/v1/sites/${key}/declaration${query}`, {
    credentials: 'omit',
  });
  if (!response.ok) return;
  const body = await response.json();
  if (document.adoptedStyleSheets) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }
  for (const element of document.querySelectorAll('[data-consent-declaration]')) {
    element.setAttribute('lang', body.language);
    element.classList.add(PREFIX);
    element.replaceChildren(...render(body));
  }
}

const script = document.currentScript;
if (script) fill(script.src).catch((err) => console.warn('[consent]', err));
