// The preferences' cookie lists as data: the cookie declaration's rows (GET
// /api/v1/sites/<key>/declaration, the data the owner's declaration page shows) grouped per
// category by the vendor that sets them. Pure: later.js fetches and draws them.

/**
 * The query of the declaration in the page's language: the primary subtag of ``tag`` (its
 * <html lang>), which the service resolves as the banner does (the version's languages, else
 * the site's default); none for a tag it would refuse.
 */
export function declarationQuery(tag) {
  const primary = (tag || '').split('-')[0].toLowerCase();
  return /^[a-z]{2,3}$/.test(primary) ? `?lang=${primary}` : '';
}

/**
 * Per category id, the vendors with their cookies, in the declaration's order: ``[{name,
 * cookies}]``, a vendor named as ``vendors`` (the banner's) names it. Only the version's
 * vendors are there, and the site's own cookies (vendor null: the consent token) under their
 * provider; a catalogue vendor that a scan saw but the version does not enable is the owner's
 * finding, not a choice the banner offers (the declaration page lists it). Null unless
 * ``body`` is the declaration of ``version``: the lists describe the switches shown.
 */
export function cookieGroups(body, vendors, version) {
  if (!body || body.policy_version !== version || !body.categories) return null;
  const groups = {};
  for (const id in body.categories) {
    const byVendor = new Map();
    for (const cookie of body.categories[id].cookies) {
      const vendor = cookie.vendor && vendors[cookie.vendor];
      if (cookie.vendor && !vendor) continue;
      const name = vendor ? vendor.name || cookie.provider : cookie.provider;
      const key = cookie.vendor || `:${name}`;
      if (!byVendor.has(key)) byVendor.set(key, { name, cookies: [] });
      byVendor.get(key).cookies.push(cookie);
    }
    groups[id] = [...byVendor.values()];
  }
  return groups;
}
