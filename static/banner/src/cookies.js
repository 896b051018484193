// Vendors' first-party cookies: which names the catalogue's patterns match.

/**
 * A test of cookie names against catalogue ``patterns`` (word characters, ``*`` standing for
 * any run of them), or null when there are none.
 */
export function cookieMatcher(patterns) {
  const any = patterns.join('|');
  return any ? RegExp(`^(${any.replace(/\*/g, '.*')})$`) : null;
}
