// The admin UI's progressive enhancements: copy buttons and the live banner preview.
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

  document.addEventListener('DOMContentLoaded', function () {
    var buttons = document.querySelectorAll('[data-copy-target]');
    for (var i = 0; i < buttons.length; i++) setUpCopy(buttons[i]);
    var forms = document.querySelectorAll('[data-preview-form]');
    for (var j = 0; j < forms.length; j++) setUpPreview(forms[j]);
  });
})();
