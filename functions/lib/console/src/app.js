// Lifeline's console: keeps this tab's sign-in (sessionStorage, never a
// cookie); fills every [data-src] from the console's API with the token as
// `Authorization: Bearer …` (again every data-refresh ms, unless the
// keyboard is inside it); sends [data-api] forms the same way (after
// [data-confirm] is confirmed) and says how they went in #outcome; renders
// [data-preview] forms' previews as they are edited; copies [data-copy].
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
  // Who the token names, to show the admins' pages to admins (the API
  // checks every request itself: this only tidies the navigation).
  function claims() {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(decodeURIComponent(escape(atob(part))));
    } catch (e) {
      return {};
    }
  }
  function showUser() {
    var c = claims();
    var name = c["cognito:username"] || c.username || "";
    var groups = c["cognito:groups"] || [];
    var user = document.getElementById("user");
    if (user && name) {
      document.getElementById("signed-in-as").textContent = name;
      user.hidden = false;
    }
    if (groups.indexOf("admin") >= 0) {
      document.querySelectorAll('[data-needs="admin"]').forEach(function (el) {
        el.hidden = false;
      });
    }
    var out = document.getElementById("sign-out");
    if (out) {
      out.addEventListener("click", signIn);
    }
  }
  function authorized(r) {
    if (r.status === 401) {
      signIn();
      throw new Error("signed out");
    }
    return r;
  }
  function load(el) {
    return fetch(el.dataset.src, { headers: { Authorization: "Bearer " + token } })
      .then(authorized)
      .then(function (r) {
        return r.text().then(function (text) {
          if (r.ok) {
            // Unchanged content is left alone (a selection in it stays).
            if (el.lifelineShown !== text) {
              el.innerHTML = text;
              el.lifelineShown = text;
            }
            el.dataset.loadedAt = String(Date.now());
            delete el.dataset.stale;
          } else {
            say(problemText(text), false);
          }
        });
      })
      .catch(function () {
        el.dataset.stale = "true";
      });
  }
  function problemText(text) {
    try {
      var p = JSON.parse(text);
      return p.detail || p.message || p.title || text;
    } catch (e) {
      return text;
    }
  }
  function say(message, ok) {
    var out = document.getElementById("outcome");
    if (out) {
      out.textContent = message;
      out.dataset.outcome = ok ? "done" : "refused";
    }
  }
  function post(url, form) {
    return fetch(url, {
      method: "POST",
      headers: {
        Authorization: "Bearer " + token,
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(authorized);
  }
  function start() {
    showUser();
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
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      return;
    }
    post(form.dataset.api, form)
      .then(function (r) {
        return r.text().then(function (text) {
          say(problemText(text), r.ok);
          if (r.ok) {
            if (document.activeElement) {
              document.activeElement.blur();
            }
            document.querySelectorAll("[data-src]").forEach(load);
          }
        });
      })
      .catch(function () {
        say("The console did not answer: try again.", false);
      });
  });
  var previewTimer = null;
  document.addEventListener("input", function (e) {
    var form = e.target.form;
    if (!form || !form.dataset.preview) {
      return;
    }
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      var into = document.querySelector(form.dataset.previewInto);
      post(form.dataset.preview, form).then(function (r) {
        return r.text().then(function (text) {
          if (r.ok) {
            into.innerHTML = text;
            delete into.dataset.refused;
          } else {
            into.textContent = problemText(text);
            into.dataset.refused = "true";
          }
        });
      });
    }, 300);
  });
  document.addEventListener("click", function (e) {
    var from = e.target.dataset && e.target.dataset.copy;
    if (!from) {
      return;
    }
    var text = document.querySelector(from);
    if (text && navigator.clipboard) {
      navigator.clipboard.writeText(text.value || text.textContent).then(function () {
        say("Copied.", true);
      });
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
