// The site's configuration and this page's context: set once at start, read everywhere.

import { LABELS } from './constants.js';

export let config, vendors, vendorIds, nonce, signals, language, texts, labels;

/** Take ``value`` (a configuration that readConfig accepted) as this page's site. */
export function setSite(value) {
  config = value;
  // The server always sends vendors, translations (with the default language's texts, each
  // with every key) and the vendors' names.
  vendors = value.vendors;
  vendorIds = Object.keys(vendors);
  const script = document.currentScript;
  nonce = script && script.nonce;
  signals = {
    gpc: navigator.globalPrivacyControl === true,
    dnt: navigator.doNotTrack === '1',
  };
  // The primary subtag of <html lang> if the banner has texts for it, else the default.
  const translations = value.translations;
  const primary = document.documentElement.lang.split('-')[0].toLowerCase();
  language = translations[primary] ? primary : value.default_language;
  texts = translations[language];
  labels = LABELS[language] || LABELS.en;
}
