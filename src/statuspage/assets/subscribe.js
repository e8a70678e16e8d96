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
