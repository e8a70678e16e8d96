// Herald status page, subscribe.html: the form posts to Herald's own address, which may be down while this copy
// of the page is up. Ask it first (a no-cors request: only whether anything answers), and when nothing does, show
// the notice with the other ways to follow instead of letting the browser fail on the post. Without this script
// the form still posts as usual, and the "other ways to follow" stay listed under it.
(() => {
  const form = document.getElementById('subscribe-form');
  const notice = document.getElementById('app-down');
  if (!form || !notice || !window.fetch || !window.AbortController) return;
  const app = form.getAttribute('data-app') || '';
  let answered = null;
  const probe = () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    return fetch(`${app}/healthz`, { mode: 'no-cors', cache: 'no-store', credentials: 'omit', signal: controller.signal })
      .then(
        () => true,
        () => false,
      )
      .then((up) => {
        clearTimeout(timer);
        answered = up;
        notice.hidden = up;
        form.setAttribute('data-app-state', up ? 'up' : 'down');
        return up;
      });
  };
  probe();
  form.addEventListener('submit', (event) => {
    if (answered === true) return;
    event.preventDefault();
    probe().then((up) => {
      if (up) form.submit();
      else notice.focus();
    });
  });
})();
// A group's "All of …" box and its components' boxes follow each other (without this script the server expands a
// ticked group to its components, so the form means the same either way).
(() => {
  for (const set of document.querySelectorAll('fieldset.pick')) {
    const whole = set.querySelector('label.whole input');
    const parts = [...set.querySelectorAll('label.nested input')];
    if (!whole || parts.length === 0) continue;
    const sync = () => {
      const ticked = parts.filter((p) => p.checked).length;
      whole.checked = ticked === parts.length;
      whole.indeterminate = ticked > 0 && ticked < parts.length;
    };
    whole.addEventListener('change', () => {
      for (const p of parts) p.checked = whole.checked;
      whole.indeterminate = false;
    });
    for (const p of parts) p.addEventListener('change', sync);
    if (whole.checked) for (const p of parts) p.checked = true;
    else sync();
  }
})();
