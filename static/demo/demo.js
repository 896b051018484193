// Demo owner page helper: shows the visitor's current choice; no tracking of its own.
(function () {
  "use strict";
  var none;  // the page's "no choice yet", in its language (read once)
  function show() {
    var out = document.getElementById("demo-choice");
    if (!out || !window.Consent) return;
    if (none === undefined) none = out.textContent;
    var choice = window.Consent.get();
    out.textContent = choice ? JSON.stringify(choice, null, 2) : none;
  }
  function onClick(id, fn) {
    var el = document.getElementById(id);
    if (el) el.addEventListener("click", function (event) { event.preventDefault(); fn(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Consent) return;
    window.Consent.on("change", show);
    show();
    onClick("demo-withdraw", function () { window.Consent.withdraw(); });
    onClick("demo-history", function () {
      var match = document.cookie.match(/(?:^|; )consent_token=([^;]+)/);
      // (The page's own words, in its language.)
      if (!match) { alert(document.getElementById("demo-history").dataset.none); return; }
      var src = document.querySelector("script[src*='/embed/']").src;
      var base = src.slice(0, src.indexOf("/embed/"));
      var key = src.slice(src.lastIndexOf("/") + 1, -3);
      // The page a person reads, in the page's language; it links the JSON and CSV downloads.
      window.location.href = base + "/api/v1/sites/" + key + "/me?format=html&lang=" +
        encodeURIComponent(document.documentElement.lang || "en") + "&token=" +
        encodeURIComponent(decodeURIComponent(match[1]));
    });
  });
})();
