// Lifeline's console: keeps this tab's sign-in (sessionStorage, never a
// cookie), fills every [data-src] from the console's API with the token as
// `Authorization: Bearer …` (again every data-refresh ms, unless the
// keyboard is inside it), and sends [data-api] forms the same way.
(function () {
  "use strict";
  var KEY = "lifeline-console-token";
  var given = document.querySelector('meta[name="lifeline-token"]');
  if (given) {
    sessionStorage.setItem(KEY, given.content);
    location.replace("/console/");
    return;
  }
  if (location.pathname === "/console/sign-in") {
    return;
  }
  var token = sessionStorage.getItem(KEY);
  function signIn() {
    sessionStorage.removeItem(KEY);
    location.replace("/console/sign-in");
  }
  if (!token) {
    signIn();
    return;
  }
  function load(el) {
    return fetch(el.dataset.src, { headers: { Authorization: "Bearer " + token } })
      .then(function (r) {
        if (r.status === 401) {
          signIn();
          return null;
        }
        return r.text();
      })
      .then(function (html) {
        if (html !== null && html !== undefined) {
          el.innerHTML = html;
          el.dataset.loadedAt = String(Date.now());
        }
      })
      .catch(function () {
        el.dataset.stale = "true";
      });
  }
  function start() {
    document.querySelectorAll("[data-src]").forEach(function (el) {
      load(el);
      var every = Number(el.dataset.refresh || 0);
      if (every > 0) {
        setInterval(function () {
          if (!el.contains(document.activeElement)) {
            load(el);
          }
        }, every);
      }
    });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || !form.dataset.api) {
      return;
    }
    e.preventDefault();
    fetch(form.dataset.api, { method: "POST", headers: { Authorization: "Bearer " + token } })
      .then(function (r) {
        if (r.status === 401) {
          signIn();
          return;
        }
        if (document.activeElement) {
          document.activeElement.blur();
        }
        document.querySelectorAll("[data-src]").forEach(load);
      });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
