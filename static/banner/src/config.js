// Constants in one place, and the site configuration the server inlines.

export const CATEGORY_IDS = ['necessary', 'performance', 'functionality', 'targeting', 'social'];

// Google Consent Mode v2 parameters and the category that grants each one.
export const CONSENT_MODE_PARAMS = {
  analytics_storage: 'performance',
  functionality_storage: 'functionality',
  personalization_storage: 'functionality',
  ad_storage: 'targeting',
  ad_user_data: 'targeting',
  ad_personalization: 'targeting',
};

// Interface words that are not banner texts (banner texts come from the policy version).
export const LABELS = {
  en: { cookies: 'Cookie statement', load: 'Allow and load', vendors: 'Vendors' },
  nl: { cookies: 'Cookieverklaring', load: 'Toestaan en laden', vendors: 'Partijen' },
};

/**
 * The configuration the server put in place of the free identifier below (falsy if none).
 * The loader reads site_key, api_base, policy_version, policy_hash, default_language,
 * translations (every language's texts), privacy_policy_url, cookie_statement_url,
 * choice_lifetime_days and vendors ({id: {name, category, settings, cookies}}).
 */
export function readConfig() {
  let raw;
  try {
    // The server replaces this identifier (it occurs once in the bundle) with a JSON object.
    raw = __CONSENT_CONFIG__;
  } catch (err) {
    // Not replaced, and no such global: nothing to do.
  }
  return raw && raw.site_key && raw.api_base && raw;
}

/** ``fn``, but an exception is logged, never thrown: nothing may break the host page. */
export function guard(fn) {
  return function () {
    try {
      return fn.apply(this, arguments);
    } catch (err) {
      console.warn('[consent]', err);
      return undefined;
    }
  };
}

/** A complete choice: ``all`` on, or ``partial``'s with omitted ones off; necessary is on. */
export function choiceFrom(partial, all) {
  const choice = {};
  for (const id of CATEGORY_IDS)
    choice[id] = all || id === 'necessary' || (!!partial && partial[id] === true);
  return choice;
}
