// Runs first in the preview frame: hands the draft's configuration to the real banner
// bundle, which reads it through the identifier that /embed/<key>.js otherwise replaces.
(function () {
  'use strict';
  try {
    window.__CONSENT_CONFIG__ = JSON.parse(
      document.documentElement.getAttribute('data-consent-preview'),
    );
  } catch (err) {
    window.__CONSENT_CONFIG__ = null;
  }
})();
