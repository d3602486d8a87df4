// opsmetrics sign-in: a sign-in link carries the token after '#', which
// browsers never send to a server: it is posted from here and removed from
// the address bar. A file, not inline script, because the pages'
// Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  if (location.hash.length <= 1) return;
  document.getElementById('token').value = decodeURIComponent(location.hash.slice(1));
  history.replaceState(null, '', location.pathname + location.search);
  document.getElementById('login').submit();
})();
