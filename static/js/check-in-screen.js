/* The check-in screen stays on a projector for the whole meeting: fetch the page again before
   its code changes and swap in the new code, QR and count, without a reload's flash. A page
   refresh by <meta> would do it too, but it is a WCAG failure (2.2.1, 2.2.4), so the page
   refreshes only with script and offers a link without it. */
(function () {
  "use strict";

  var live = document.getElementById("check-in-live");
  if (!live || !window.fetch || !window.DOMParser) {
    return;
  }
  var seconds = parseInt(live.getAttribute("data-refresh-seconds"), 10);
  if (!(seconds > 0)) {
    return;
  }
  var status = document.getElementById("check-in-status");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function refresh() {
    fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("check-in-live");
        if (!fresh) {
          throw new Error("no check-in area");
        }
        live.innerHTML = fresh.innerHTML;
        seconds = parseInt(fresh.getAttribute("data-refresh-seconds"), 10);
        say("");
        if (seconds > 0) {
          window.setTimeout(refresh, seconds * 1000);
        }
      })
      .catch(function () {
        say("The server could not be reached; the code shown may be out of date. Trying again.");
        window.setTimeout(refresh, 10000);
      });
  }

  var fallback = document.getElementById("check-in-reload");
  if (fallback) {
    fallback.hidden = true;
  }
  window.setTimeout(refresh, seconds * 1000);
})();
