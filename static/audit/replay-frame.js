// Runs first in a receipt's replay frame, before the receipt's build of the banner code:
// hands it the receipt's configuration and the visitor's privacy signals (the banner reads
// them from navigator), keeps it from taking the audit page's focus, and in the preferences
// frame opens the second layer with the recorded choice on the switches. Nothing is
// recorded: the frame is sandboxed (an opaque origin, no cookies) and the audit page's CSP,
// which it inherits, lets it connect nowhere.
(function () {
  'use strict';
  var replay = {};
  try {
    replay = JSON.parse(document.documentElement.getAttribute('data-consent-replay')) || {};
  } catch (err) {
    replay = {};
  }
  window.__CONSENT_CONFIG__ = replay.config || null;
  var signals = replay.signals || {};
  try {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: !!signals.gpc });
    Object.defineProperty(navigator, 'doNotTrack', { value: signals.dnt ? '1' : null });
  } catch (err) {
    // The auditor's own signals then: the receipt's are on the page beside the frame.
  }
  // The banner moves focus into itself, as it should on the visitor's page; here that would
  // scroll the audit page to the frame and take the auditor's keyboard focus. It moves focus
  // only once the auditor is in the frame.
  var focus = HTMLElement.prototype.focus;
  HTMLElement.prototype.focus = function () {
    if (document.hasFocus()) focus.apply(this, arguments);
  };
  var categories = replay.categories;

  // The recorded choice on the switches; false while there are none yet.
  function setSwitches() {
    var found = false;
    var all = document.querySelectorAll('*');
    for (var i = 0; i < all.length; i++) {
      if (!all[i].shadowRoot) continue;
      var inputs = all[i].shadowRoot.querySelectorAll('input[data-consent-category]');
      for (var j = 0; j < inputs.length; j++) {
        var id = inputs[j].getAttribute('data-consent-category');
        inputs[j].checked = id === 'necessary' || !!categories[id];
        found = true;
      }
    }
    return found;
  }

  function ready() {
    document.documentElement.setAttribute('data-replay-ready', '');
  }

  // The banner shows its first layer once the document is parsed; by load it has. Builds
  // since the preferences layer loads apart (later.js) build it a moment after it is opened:
  // the switches are set once it is there (for up to 5 s).
  window.addEventListener('load', function () {
    if (!(categories && window.Consent && typeof window.Consent.show === 'function')) {
      ready();
      return;
    }
    window.Consent.show();
    var tries = 0;
    (function set() {
      if (setSwitches() || ++tries > 100) ready();
      else setTimeout(set, 50);
    })();
  });
})();
