// The site's configuration and this page's context: set once at start, read everywhere.

export let config, vendors, vendorIds, nonce, signals, language, texts, labels, unlisted;

/** Take ``value`` (a configuration that readConfig accepted) as this page's site. */
export function setSite(value) {
  config = value;
  // A page on an origin the site does not list shows no banner: the service would refuse
  // its choice. (The admin's preview and replay carry no origins.)
  unlisted = value.origins && !value.origins.includes(location.origin);
  if (unlisted)
    console.error(
      `[consent] no banner: ${location.origin} is not an allowed origin (admin: Settings)`,
    );
  // The server always sends vendors and translations (with the default language's texts: the
  // first layer's, in the embed; every key in the admin's preview and replay). The embed
  // leaves out the vendors' names too (fullTexts in service.js).
  vendors = value.vendors;
  vendorIds = Object.keys(vendors);
  const script = document.currentScript;
  nonce = script && script.nonce;
  signals = {
    gpc: navigator.globalPrivacyControl === true,
    dnt: navigator.doNotTrack === '1',
  };
  // The primary subtag of <html lang> if the version has texts for it, else the default.
  // The embed carries the default language's texts (and the list of the others).
  const primary = document.documentElement.lang.split('-')[0].toLowerCase();
  language = (value.languages || Object.keys(value.translations)).includes(primary)
    ? primary
    : value.default_language;
  texts = value.translations[language];
  // The interface words of the default language (another language's come with its texts).
  labels = value.labels;
}

/**
 * Take this page's texts, labels and vendors (with their names) from ``result`` (the config
 * API's answer for its language, or null); unless it answered for this very version, the
 * default language's texts instead.
 */
export function takeTexts(result) {
  const body = result && result[1];
  if (body && body.policy_hash === config.policy_hash) {
    ({ texts, labels, vendors } = body);
  } else texts = config.translations[(language = config.default_language)];
}
