// Adds the reader's local time after each time the page shows in UTC. The page is complete without it.
(() => {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const time of document.querySelectorAll('time[datetime*="T"]')) {
    const at = new Date(time.getAttribute('datetime'));
    if (Number.isNaN(at.getTime()) || at.getTimezoneOffset() === 0) continue;
    const local = document.createElement('span');
    local.className = 'lt';
    local.textContent = ` (${format.format(at)} your time)`;
    time.after(local);
  }
})();
