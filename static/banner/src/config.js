// The site configuration the embed calls the bundle with.

/**
 * The configuration the embed calls the bundle with (its parameter of this name; falsy if none).
 * The loader reads site_key, api_base, policy_version, policy_hash, default_language,
 * languages, translations (the default language's texts: the embed's, the first layer's
 * only; the admin preview's, every language's in full), labels, privacy_policy_url,
 * cookie_statement_url, choice_lifetime_days, build, theme, block (auto-blocking's rules, only when it is on) and vendors
 * ({id: {category, settings, cookies}}; their names too in the preview's).
 */
export function readConfig() {
  // The bundle's parameter (build.sh wraps the code in a function of it; node's tests set a
  // global of the name).
  const raw = __CONSENT_CONFIG__;
  return raw && raw.site_key && raw.api_base && raw;
}
