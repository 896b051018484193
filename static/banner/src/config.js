// The site configuration the server inlines into the embed.

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
