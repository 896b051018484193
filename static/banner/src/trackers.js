// Which catalogue vendor an element belongs to, from the rules the config carries:
// [{host: id}, {marker: id}]. Pure, so that node --test covers it.

/**
 * The vendor whose tag ``url`` (a script's, frame's, image's or link's URL, maybe relative,
 * on the page at ``base``: a URL) or, without a URL, an inline script's ``text`` is;
 * undefined if none. A marker found in either decides at once (it tells apart vendors that
 * share a host); else the first vendor whose host is the URL's host or a parent of it (for
 * an inline script, named in its text).
 */
export function vendorOf([hosts, markers], url, text, base) {
  let host;
  // A plain http(s) or scheme-relative URL and a relative one (the page's host) are read
  // without the URL parser, which costs more than the rest of the lookup; anything else
  // (another scheme, spaces, controls, backslashes) goes through it.
  // (Lower case first: a case-insensitive pattern costs far more to compile, at its first use.)
  const plain = /^(https?:)?\/\/([\w.-]+)(:\d*)?([/?#]|$)/.exec(url && url.toLowerCase());
  try {
    host =
      url &&
      `.${
        plain
          ? plain[2]
          : /[\0- \\]|^[\w+.-]*:|^\/\//.test(url)
            ? new URL(url, base).hostname
            : base.hostname
      }`;
  } catch (err) {
    // Not a URL: only the markers can tell.
  }
  // Quotes as in the markers: 'single'.
  const subject = (url || text || '').replace(/"/g, "'");
  for (const marker in markers) if (subject.includes(marker)) return markers[marker];
  for (const name in hosts)
    if (host ? host.endsWith(`.${name}`) : !url && subject.includes(name)) return hosts[name];
}
