// Which catalogue vendor an element belongs to, from the rules the config carries
// ({id: [hosts, markers]}, or [hosts] without markers): pure, so that node --test covers it.

/**
 * The vendor whose tag ``url`` (a script's, frame's, image's or link's URL, maybe relative)
 * or, without a URL, an inline script's ``text`` is; undefined if none. A marker found in
 * either decides at once (it tells apart vendors that share a host); else the first vendor
 * whose host is the URL's host or a parent of it (for an inline script, named in its text).
 */
export function vendorOf(rules, url, text, base) {
  let found, host;
  try {
    host = url && new URL(url, base).hostname;
  } catch (err) {
    // Not a URL: only the markers can tell.
  }
  // Quotes as in the markers: 'single'.
  const subject = (url || text || '').replace(/"/g, "'");
  for (const id in rules) {
    const [hosts, markers = []] = rules[id];
    if (markers.some((marker) => subject.includes(marker))) return id;
    if (
      !found &&
      hosts.some((name) =>
        host ? `.${host}`.endsWith(`.${name}`) : !url && subject.includes(name),
      )
    )
      found = id;
  }
  return found;
}
