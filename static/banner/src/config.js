// The site configuration the embed calls the bundle with.

/**
 * The configuration the embed calls the bundle with (its parameter of this name; falsy if none).
 * The loader reads site_key, api_base, policy_version, policy_hash, default_language,
 * languages, translations (the default language's texts; the admin preview's: every
 * language's), privacy_policy_url, cookie_statement_url,
 * choice_lifetime_days and vendors ({id: {name, category, settings, cookies}}).
 */
export function readConfig() {
  // The bundle's parameter (build.sh wraps the code in a function of it; node's tests set a
  // global of the name).
  const raw = __CONSENT_CONFIG__;
  return raw && raw.site_key && raw.api_base && raw;
}
