// The admin UI's progressive enhancements: copy buttons, the summary of a rejected form and
// the live banner previews (texts, appearance).
// Every page works without this file; it only adds to it.
(function () {
  'use strict';

  // --- Copy buttons: [data-copy-target] copies the text of the element with that id. ---

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return Promise.reject(new Error('no clipboard'));
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function setUpCopy(button) {
    var id = button.getAttribute('data-copy-target');
    var source = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!source) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      copyText(source.textContent).then(
        function () {
          if (status) status.textContent = 'Copied.';
        },
        function () {
          selectText(source);
          if (status) status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
        },
      );
    });
  }

  // --- Live preview: re-render the banner frame with the texts as typed. ---

  function textsFrom(form) {
    var texts = { categories: {} };
    var fields = form.querySelectorAll('[data-text-key]');
    for (var i = 0; i < fields.length; i++) {
      var key = fields[i].getAttribute('data-text-key').split('.');
      var value = fields[i].value.replace(/\r\n/g, '\n');
      if (key[0] === 'categories') {
        texts.categories[key[1]] = texts.categories[key[1]] || {};
        texts.categories[key[1]][key[2]] = value;
      } else {
        texts[key[0]] = value;
      }
    }
    return texts;
  }

  function setUpPreview(form) {
    var language = form.getAttribute('data-preview-form');
    var frame = document.querySelector('[data-preview-frame="' + language + '"]');
    if (!frame || typeof DOMParser !== 'function') return;
    var timer = null;
    function render() {
      // An inert parse of the frame's document: only its configuration attribute changes.
      var doc = new DOMParser().parseFromString(frame.srcdoc, 'text/html');
      var root = doc.documentElement;
      var config = JSON.parse(root.getAttribute('data-consent-preview'));
      var texts = textsFrom(form);
      config.translations[language] = texts;
      if (config.language === language) config.texts = texts;
      root.setAttribute('data-consent-preview', JSON.stringify(config));
      frame.srcdoc = '<!doctype html>\n' + root.outerHTML;
    }
    form.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(render, 200);
    });
  }

  // --- Appearance: re-render the banner frame with the theme as chosen. ---
  // The dark scheme's accent and the contrast figures repeat consent/core/contrast.py and
  // consent/core/theme.py (the same arithmetic), so the preview shows what publishing will;
  // the service decides, and refuses a theme below WCAG 2.2 AA contrast.

  var LIGHT_BG = '#ffffff';
  var DARK_BG = '#1b1b1f';
  var DARK_ON_ACCENT = '#10131a';
  var DEFAULT_ACCENT = '#1f4fa3';
  var DEFAULT_DARK_ACCENT = '#8fb3ff';

  function channels(color) {
    return [1, 3, 5].map(function (i) {
      return parseInt(color.slice(i, i + 2), 16);
    });
  }

  function luminance(color) {
    var c = channels(color).map(function (v) {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var x = luminance(a);
    var y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  function hex(rgb) {
    return '#' + rgb.map(function (c) {
      var v = Math.min(255, Math.max(0, Math.trunc(c * 255 + 0.5)));
      return (v < 16 ? '0' : '') + v.toString(16);
    }).join('');
  }

  // Python's float % 1.0 and its colorsys.rgb_to_hls and hls_to_rgb.
  function mod1(x) {
    var m = x % 1;
    return m < 0 ? m + 1 : m;
  }

  function toHls(r, g, b) {
    var max = Math.max(r, g, b);
    var min = Math.min(r, g, b);
    var l = (max + min) / 2;
    if (min === max) return [0, l, 0];
    var range = max - min;
    var s = l <= 0.5 ? range / (max + min) : range / (2 - max - min);
    var rc = (max - r) / range;
    var gc = (max - g) / range;
    var bc = (max - b) / range;
    var h = r === max ? bc - gc : g === max ? 2 + rc - bc : 4 + gc - rc;
    return [mod1(h / 6), l, s];
  }

  function hueValue(m1, m2, hue) {
    hue = mod1(hue);
    if (hue < 1 / 6) return m1 + (m2 - m1) * hue * 6;
    if (hue < 0.5) return m2;
    if (hue < 2 / 3) return m1 + (m2 - m1) * (2 / 3 - hue) * 6;
    return m1;
  }

  function fromHls(h, l, s) {
    if (s === 0) return [l, l, l];
    var m2 = l <= 0.5 ? l * (1 + s) : l + s - l * s;
    var m1 = 2 * l - m2;
    return [hueValue(m1, m2, h + 1 / 3), hueValue(m1, m2, h), hueValue(m1, m2, h - 1 / 3)];
  }

  function legibleOnDark(color) {
    return contrast(color, DARK_BG) >= 4.5 && contrast(DARK_ON_ACCENT, color) >= 4.5;
  }

  function darkAccent(accent) {
    if (accent === DEFAULT_ACCENT) return DEFAULT_DARK_ACCENT;
    if (legibleOnDark(accent)) return accent;
    var hls = toHls.apply(null, channels(accent).map(function (c) { return c / 255; }));
    for (var k = 1; k <= 100; k++) {
      var l = Math.min(1, Math.max(0, hls[1] + k * 0.01));
      var shade = hex(fromHls(hls[0], l, hls[2]));
      if (legibleOnDark(shade)) return shade;
      if (l === 1) break;
    }
    return '#ffffff';
  }

  function ratio(a, b) {
    return (Math.floor(contrast(a, b) * 100) / 100).toFixed(2) + ':1';
  }

  function themeFrom(form) {
    var theme = {};
    ['mode', 'layout', 'position', 'font'].forEach(function (name) {
      var checked = form.querySelector('input[name="' + name + '"]:checked');
      if (checked) theme[name] = checked.value;
    });
    theme.accent = form.elements.accent.value.toLowerCase();
    var radius = parseInt(form.elements.radius.value, 10);
    theme.radius = radius >= 0 && radius <= 24 ? radius : 12;
    return theme;
  }

  // What the owner reads beside the accent: its contrast in each scheme the mode shows.
  function contrastStatus(theme) {
    var parts = [];
    if (theme.mode !== 'dark') {
      var light = contrast(theme.accent, LIGHT_BG);
      parts.push('On the light background: ' + ratio(theme.accent, LIGHT_BG) +
        (light >= 4.5 ? ' (passes)' : ' (too low: at least 4.5:1)'));
    }
    if (theme.mode !== 'light') {
      var dark = darkAccent(theme.accent);
      parts.push('On the dark background: ' + ratio(dark, DARK_BG) +
        (dark === theme.accent ? '' : ' (shown as ' + dark + ')'));
    }
    return parts.join('. ') + '.';
  }

  function setUpThemePreview(form) {
    var language = form.getAttribute('data-preview-theme');
    var frame = document.querySelector('[data-preview-frame="' + language + '"]');
    var status = form.querySelector('[data-contrast-status]');
    var schemes = document.querySelector('[data-preview-scheme]');
    if (!frame || typeof DOMParser !== 'function') return;
    var timer = null;
    function render() {
      var theme = themeFrom(form);
      if (status) status.textContent = contrastStatus(theme);
      if (theme.mode !== 'light') theme.accent_dark = darkAccent(theme.accent);
      // "Show it to a visitor whose system is …": what auto shows that visitor.
      var scheme = schemes && schemes.querySelector('input:checked');
      if (schemes) schemes.disabled = theme.mode !== 'auto';
      if (theme.mode === 'auto' && scheme && scheme.value) theme.mode = scheme.value;
      var doc = new DOMParser().parseFromString(frame.srcdoc, 'text/html');
      var root = doc.documentElement;
      var config = JSON.parse(root.getAttribute('data-consent-preview'));
      config.theme = theme;
      root.setAttribute('data-consent-preview', JSON.stringify(config));
      frame.srcdoc = '<!doctype html>\n' + root.outerHTML;
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(render, 100);
    }
    form.addEventListener('input', later);
    form.addEventListener('change', later);
    if (schemes) {
      schemes.addEventListener('change', later);
      // As the saved mode has it: only "auto" follows the visitor's system.
      schemes.disabled = themeFrom(form).mode !== 'auto';
    }
    if (status) status.textContent = contrastStatus(themeFrom(form));
  }

  // --- After a rejected save: a summary of what needs a change, each linked to its input,
  // focused so that it is read first and seen on a phone (each message stays by its input).

  // An error's input and the words that name it: its label, or a group's legend (a choice of
  // radios), after the section it belongs to where one field name repeats (a vendor's ID).
  function inputOf(error) {
    var id = error.id && error.id.slice(-6) === '-error' ? error.id.slice(0, -6) : '';
    var input = id && document.getElementById(id);
    var label = input && document.querySelector('label[for="' + id + '"]');
    var group = !input && error.closest('fieldset');
    if (group) {
      input = group.querySelector('input, select, textarea');
      label = group.querySelector('legend');
    }
    if (!input) return null;
    var name = label ? label.textContent.trim() : '';
    var section = input.closest('[data-error-context]');
    if (section) name = section.getAttribute('data-error-context') + (name ? ', ' + name : '');
    return { input: input, label: label || input, name: name };
  }

  function showErrorSummary() {
    var errors = document.querySelectorAll('[data-field-error]');
    var items = [];
    for (var i = 0; i < errors.length; i++) {
      var item = inputOf(errors[i]);
      if (!item) continue;
      // (Several messages for one input, a line each, are read as one list.)
      item.message = errors[i].textContent.trim().replace(/\s*\n\s*/g, '; ').replace(/\s+/g, ' ');
      items.push(item);
    }
    // Page-level messages (no input of their own) already stand at the top of the form.
    if (!items.length) return;
    var summary = document.createElement('div');
    summary.className = 'error-summary';
    summary.tabIndex = -1;
    summary.setAttribute('data-error-summary', '');
    summary.setAttribute('aria-labelledby', 'error-summary-title');
    var title = document.createElement('h2');
    title.id = 'error-summary-title';
    title.textContent =
      items.length === 1 ? 'One field needs a change' : items.length + ' fields need a change';
    var list = document.createElement('ul');
    items.forEach(function (item) {
      var link = document.createElement('a');
      link.href = '#' + (item.input.id || '');
      link.textContent = (item.name ? item.name + ': ' : '') + item.message;
      link.addEventListener('click', function (event) {
        event.preventDefault();
        // An input in a closed section is shown first.
        for (var node = item.input; node; node = node.parentElement)
          if (node.localName === 'details') node.open = true;
        item.label.scrollIntoView({ block: 'center' });
        item.input.focus({ preventScroll: true });
      });
      var entry = document.createElement('li');
      entry.append(link);
      list.append(entry);
    });
    summary.append(title, list);
    // Above the form and whatever stands beside it (the texts' preview).
    var before = errors[0].closest('form') || errors[0];
    while (before.parentElement && before.parentElement.localName !== 'main')
      before = before.parentElement;
    before.parentNode.insertBefore(summary, before);
    summary.focus();
  }

  document.addEventListener('DOMContentLoaded', function () {
    showErrorSummary();
    var buttons = document.querySelectorAll('[data-copy-target]');
    for (var i = 0; i < buttons.length; i++) setUpCopy(buttons[i]);
    var forms = document.querySelectorAll('[data-preview-form]');
    for (var j = 0; j < forms.length; j++) setUpPreview(forms[j]);
    var themes = document.querySelectorAll('[data-preview-theme]');
    for (var k = 0; k < themes.length; k++) setUpThemePreview(themes[k]);
  });
})();
