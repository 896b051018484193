// Constants in one place, and the site configuration the server inlines.

export const CATEGORY_IDS = ['necessary', 'performance', 'functionality', 'targeting', 'social'];

// Categories that GPC and DNT start switched off (sale and sharing of personal data).
export const SIGNAL_CATEGORIES = ['targeting', 'social'];

export const TOKEN_COOKIE = 'consent_token';

// Google Consent Mode v2 parameters and the category that grants each one.
export const CONSENT_MODE_PARAMS = {
  analytics_storage: 'performance',
  functionality_storage: 'functionality',
  personalization_storage: 'functionality',
  ad_storage: 'targeting',
  ad_user_data: 'targeting',
  ad_personalization: 'targeting',
};

// The gate answers within the wait; until then (and if it never does) everything is denied.
export const CONSENT_MODE_WAIT_MS = 500;

// Bounded retry of the consents POST: one first try plus one per delay.
export const RETRY_DELAYS_MS = [700, 2100];
export const REQUEST_TIMEOUT_MS = 8000;

export const VENDOR_URLS = {
  ga: 'https://www.googletagmanager.com/gtag/js?id=',
  linkedin: 'https://snap.licdn.com/li.lms-analytics/insight.min.js',
  meta: 'https://connect.facebook.net/en_US/fbevents.js',
  hubspot: 'https://js.hs-scripts.com/',
};

// Interface words that are not banner texts (banner texts come from the policy version).
export const LABELS = {
  en: { cookies: 'Cookie statement', load: 'Allow and load', vendors: 'Vendors' },
  nl: { cookies: 'Cookieverklaring', load: 'Toestaan en laden', vendors: 'Partijen' },
};

/** The configuration the server put in place of the free identifier below, or null. */
export function readConfig() {
  let raw = null;
  try {
    // The server replaces this identifier (it occurs once in the bundle) with a JSON object.
    raw = __CONSENT_CONFIG__;
  } catch (err) {
    raw = null;
  }
  return raw && typeof raw === 'object' && raw.site_key && raw.api_base ? raw : null;
}
