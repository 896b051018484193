// Google Consent Mode v2 state: which parameters are granted or denied.

import { CONSENT_MODE_PARAMS } from './constants.js';

/** Consent Mode parameters set to ``value``: all, or those of the categories ``off``. */
export function consentMode(value, off) {
  const mode = {};
  for (const param in CONSENT_MODE_PARAMS)
    if (!off || off.includes(CONSENT_MODE_PARAMS[param])) mode[param] = value;
  return mode;
}
