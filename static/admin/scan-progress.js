// The progress of a queued or running scan on its admin page, without inline script: poll
// the page's status JSON (same origin, the session cookie) every two seconds, say a change
// of status in the page's status region, and reload once the scan is done or failed (the
// results are then in the page). Without JavaScript a <noscript> refresh does the reload.
(function () {
  'use strict';

  var POLL_MS = 2000;
  var WORDS = {
    queued: 'Queued: the scan starts when a scanner is free.',
    running: 'Running: visiting the pages in three states.'
  };

  function follow(box) {
    var url = box.getAttribute('data-scan-progress');
    var text = box.querySelector('[data-scan-progress-text]');
    var shown = box.getAttribute('data-status');

    function say(words) {
      if (text) text.textContent = words;
    }

    function poll() {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) throw new Error('status ' + response.status);
          return response.json();
        })
        .then(function (scan) {
          if (scan.status !== 'queued' && scan.status !== 'running') {
            say('The scan is ' + scan.status + ': loading its results…');
            window.location.reload();
            return;
          }
          if (scan.status !== shown) {
            shown = scan.status;
            box.setAttribute('data-status', shown);
            say(WORDS[shown]);
          }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          say('The progress could not be read: reload the page to see where the scan is.');
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var box = document.querySelector('[data-scan-progress]');
    if (box && typeof window.fetch === 'function') follow(box);
  });
})();
