// The consent token: found among the page's cookies, and read for display.

import { choiceFrom } from './choice.js';
import { TOKEN_COOKIE } from './constants.js';

/** The token among ``cookies`` ("name=value" each), or undefined. */
export function tokenIn(cookies) {
  const found = cookies.find((cookie) => cookie.startsWith(`${TOKEN_COOKIE}=`));
  return found && found.slice(TOKEN_COOKIE.length + 1);
}

/** The choice a token of site ``siteKey`` records (unverified: for display only), or null. */
export function tokenChoice(token, siteKey) {
  try {
    // ASCII JSON in URL-safe base64 (atob forgives the missing padding); never compressed.
    const payload = JSON.parse(atob(token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.site === siteKey ? choiceFrom(payload.cat) : null;
  } catch (err) {
    return null;
  }
}
