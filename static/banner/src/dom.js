// The banner's DOM: elements from plain text (never innerHTML), in open shadow roots styled
// by the service's stylesheet.

// dist/banner.css as text (build.sh aliases this name to the minified stylesheet).
import css from 'consent-banner-css';
import { config } from './site.js';
// After site.js: el stays where it was in the bundle, where it compresses best.
import { el } from './element.js';

export { el };

let sheet;

/**
 * ``node`` in an open shadow root on a fresh ``tag`` element (themed), away from the page's CSS,
 * styled by the service's stylesheet as a constructable stylesheet (DESIGN.md allows it in
 * place of /embed/banner.css; no CSP directive applies to it). Browsers without them
 * (Safari before 16.4) link /embed/banner.css from the service instead.
 */
export function shadowHost(tag, node) {
  const element = document.createElement(tag);
  const root = element.attachShadow({ mode: 'open' });
  // The site's theme (banner.css reads it): each member as an attribute and a custom property.
  const theme = config.theme;
  for (const key in theme) {
    element.setAttribute(`data-consent-${key}`, theme[key]);
    element.style.setProperty(`--cl-${key}`, theme[key]);
  }
  if (root.adoptedStyleSheets) {
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else
    root.append(el('link', { rel: 'stylesheet', href: `${config.api_base}/embed/banner.css` }));
  root.append(node);
  return element;
}
