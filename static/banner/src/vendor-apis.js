// What the vendors' own scripts hear: Google's Consent Mode through gtag, and the set-up of
// the vendors the loader injects itself.

export function gtag() {
  window.gtag.apply(window, arguments);
}

/** Pass a Consent Mode state (as the gate computed it) to Google's tags. */
export function updateConsentMode(mode) {
  if (mode && Object.keys(mode).length) gtag('consent', 'update', mode);
}

// Vendors the loader injects itself when their settings are configured and the gate
// allows; each returns the URL of the script to load (or nothing).
export const MANAGED = {
  'google-analytics': (s) =>
    s.measurement_id &&
    (gtag('js', new Date()),
    gtag('config', s.measurement_id),
    // Settings match the catalogue's patterns (G-XXXX, digits): URL-safe.
    `https://www.googletagmanager.com/gtag/js?id=${s.measurement_id}`),
  'linkedin-insight': (s) =>
    s.partner_id &&
    ((window._linkedin_partner_id = s.partner_id),
    (window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || []).push(
      s.partner_id,
    ),
    'https://snap.licdn.com/li.lms-analytics/insight.min.js'),
  'meta-pixel': (s) => {
    if (!s.pixel_id) return;
    // Meta's stub: calls queue until fbevents.js takes them.
    let fbq = window.fbq;
    if (!fbq) {
      fbq = window.fbq = function () {
        if (fbq.callMethod) fbq.callMethod.apply(fbq, arguments);
        else fbq.queue.push(arguments);
      };
      Object.assign(fbq, { push: fbq, loaded: true, version: '2.0', queue: [] });
      window._fbq = window._fbq || fbq;
    }
    // Injected only once the gate allows it, so consent is granted before init.
    fbq('consent', 'grant');
    fbq('init', s.pixel_id);
    fbq('track', 'PageView');
    return 'https://connect.facebook.net/en_US/fbevents.js';
  },
  hubspot: (s) =>
    s.portal_id &&
    ((window._hsp = window._hsp || []), `https://js.hs-scripts.com/${s.portal_id}.js`),
};
