// The site configuration the embed calls the bundle with.

/**
 * The configuration the embed calls the bundle with (its parameter of this name; falsy if none).
 * The loader reads site_key, api_base, policy_version, policy_hash, default_language,
 * translations (every language's texts), privacy_policy_url, cookie_statement_url,
 * choice_lifetime_days and vendors ({id: {name, category, settings, cookies}}).
 */
export function readConfig() {
  let raw;
  try {
    // The bundle's parameter (build.sh wraps the code in a function of it); node's tests
    // set a global of the name.
    raw = __CONSENT_CONFIG__;
  } catch (err) {
    // No such global (in a test): nothing to do.
  }
  return raw && raw.site_key && raw.api_base && raw;
}
