// Timestamps in the viewer's time zone: the server writes each as
// <time datetime="2026-12-07T02:52:10.123Z" data-local-time>7 Dec 2026, 02:52:10 UTC</time>;
// this rewrites the text to the same moment and form in the browser's zone
// ("7 Dec 2026, 03:52:10 CET"). The exact UTC value stays in datetime and title. Without
// this file (or Intl), the page shows UTC.
(function () {
  'use strict';

  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  function formatter() {
    if (typeof Intl !== 'object' || typeof Intl.DateTimeFormat !== 'function') return null;
    return new Intl.DateTimeFormat('en-GB', {
      year: 'numeric', month: 'numeric', day: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
      timeZoneName: 'short',
    });
  }

  function local(format, moment) {
    var part = {};
    var parts = format.formatToParts(moment);
    for (var i = 0; i < parts.length; i++) part[parts[i].type] = parts[i].value;
    return Number(part.day) + ' ' + MONTHS[Number(part.month) - 1] + ' ' + part.year + ', ' +
      part.hour + ':' + part.minute + ':' + part.second + ' ' + part.timeZoneName;
  }

  document.addEventListener('DOMContentLoaded', function () {
    var format = formatter();
    if (!format || typeof format.formatToParts !== 'function') return;
    var nodes = document.querySelectorAll('time[data-local-time]');
    for (var i = 0; i < nodes.length; i++) {
      var moment = new Date(nodes[i].getAttribute('datetime'));
      if (!isNaN(moment.getTime())) nodes[i].textContent = local(format, moment);
    }
  });
})();
