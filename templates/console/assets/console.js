// Herald console: live previews and delivery progress. The pages work without it (Preview buttons, reloads).
(function () {
  'use strict';

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function livePreview(form) {
    var target = document.getElementById(form.getAttribute('data-preview-target'));
    var url = form.getAttribute('data-preview-url');
    if (!target || !url) return;
    var sequence = 0;
    var run = function () {
      var mine = ++sequence;
      var data = new URLSearchParams(new FormData(form));
      data.delete('action');
      target.setAttribute('aria-busy', 'true');
      fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-console-fetch': '1' },
        body: data.toString(),
      })
        .then(function (response) {
          return response.text().then(function (text) {
            return { ok: response.ok, status: response.status, text: text };
          });
        })
        .then(function (result) {
          if (mine !== sequence) return;
          target.removeAttribute('aria-busy');
          if (result.ok || result.status === 400) {
            target.innerHTML = result.text;
            fitFrames(target);
          } else {
            target.setAttribute('data-preview-error', String(result.status));
          }
        })
        .catch(function () {
          target.removeAttribute('aria-busy');
        });
    };
    var later = debounce(run, 350);
    form.addEventListener('input', later);
    form.addEventListener('change', later);
    if (form.classList.contains('template-form')) {
      form.addEventListener('submit', function (event) {
        // Save (and other buttons marked data-native-submit) posts the form as usual.
        if (event.submitter && event.submitter.hasAttribute('data-native-submit')) return;
        event.preventDefault();
        run();
      });
    }
  }

  // A preview frame is sandboxed without scripts, so it cannot size itself: its channel estimates its height for
  // each width ("width:height …", widest last) and the frame takes the one for its own width. Without this script
  // the frame keeps its height attribute (the narrowest width's, the tallest).
  function fitFrames(root) {
    var frames = root.querySelectorAll('iframe.frame[data-heights]');
    for (var i = 0; i < frames.length; i++) {
      var pairs = frames[i].getAttribute('data-heights').split(' ');
      var width = frames[i].clientWidth;
      var height = 0;
      for (var j = 0; j < pairs.length; j++) {
        var pair = pairs[j].split(':');
        if (j === 0 || Number(pair[0]) <= width) height = Number(pair[1]);
      }
      if (height > 0) frames[i].style.height = height + 'px';
    }
  }

  function liveProgress(table) {
    var url = table.getAttribute('data-stream-url');
    var rows = document.getElementById('progress-rows');
    var status = document.getElementById('progress-status');
    if (!url || !rows || typeof EventSource === 'undefined') return;
    var source = new EventSource(url);
    source.addEventListener('progress', function (event) {
      rows.innerHTML = event.data;
    });
    source.addEventListener('settled', function () {
      if (status) status.textContent = 'Every channel has settled.';
      table.setAttribute('data-settled', '1');
      source.close();
    });
  }

  // A draft's holding statement countdown, from the time the page carries (the page shows it without script too).
  function countdowns() {
    var items = document.querySelectorAll('[data-countdown]');
    if (items.length === 0) return;
    var tick = function () {
      for (var i = 0; i < items.length; i++) {
        var left = Math.round((Date.parse(items[i].getAttribute('data-countdown')) - Date.now()) / 1000);
        items[i].textContent =
          left <= 0
            ? 'now'
            : 'in ' + (left >= 3600 ? Math.floor(left / 3600) + ' h ' : '') +
              Math.floor((left % 3600) / 60) + ' min ' + (left % 60 < 10 ? '0' : '') + (left % 60) + ' s';
      }
    };
    tick();
    setInterval(tick, 1000);
  }

  // A select marked data-autosubmit (the compose page's template picker) submits its form when changed: the form's
  // button does the same without script.
  function autosubmit() {
    var selects = document.querySelectorAll('select[data-autosubmit]');
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener('change', function (event) {
        if (event.target.form) event.target.form.submit();
      });
    }
  }

  function start() {
    fitFrames(document);
    window.addEventListener('resize', debounce(function () { fitFrames(document); }, 150));
    countdowns();
    autosubmit();
    var forms = document.querySelectorAll('form[data-preview-url]');
    for (var i = 0; i < forms.length; i++) livePreview(forms[i]);
    var table = document.querySelector('table[data-live]');
    if (table) liveProgress(table);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
