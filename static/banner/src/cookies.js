// First-party cookies on the owner's site: the consent token and vendors' cookies to clear.

import { cookieDomains, cookieMatches } from './state.js';

const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';

function cookieNames() {
  try {
    return document.cookie
      .split(';')
      .map((part) => part.split('=')[0].trim())
      .filter(Boolean);
  } catch (err) {
    return [];
  }
}

/** The value of cookie ``name``, or null. */
export function readCookie(name) {
  try {
    for (const part of document.cookie.split(';')) {
      const at = part.indexOf('=');
      if (at > 0 && part.slice(0, at).trim() === name)
        return decodeURIComponent(part.slice(at + 1).trim());
    }
  } catch (err) {
    // Cookies disabled or a sandboxed document: behave as if there were none.
  }
  return null;
}

/** Store ``value`` as a first-party cookie for the whole site. */
export function writeCookie(name, value, maxAgeSeconds) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  const attributes = `Path=/; Max-Age=${maxAgeSeconds}; SameSite=Lax${secure}`;
  try {
    document.cookie = `${name}=${encodeURIComponent(value)}; ${attributes}`;
  } catch (err) {
    // Nothing stored: the banner simply asks again on the next page.
  }
}

/** Delete every cookie matching ``patterns`` on this host and each parent domain. */
export function deleteCookies(patterns) {
  if (!patterns.length) return;
  const names = cookieNames().filter((name) => patterns.some((p) => cookieMatches(name, p)));
  const domains = [''].concat(cookieDomains(location.hostname).map((d) => `; Domain=${d}`));
  const paths = ['/'];
  if (location.pathname !== '/') paths.push(location.pathname);
  for (const name of names) {
    for (const domain of domains) {
      for (const path of paths) {
        try {
          document.cookie = `${name}=; Max-Age=0; Expires=${EPOCH}; Path=${path}${domain}`;
        } catch (err) {
          // A cookie we cannot delete is one we could not read either.
        }
      }
    }
  }
}
