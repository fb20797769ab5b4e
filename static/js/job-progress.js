/* A long job's page (/jobs/<id>/): asks for the job's state every second and moves the bar,
   the status line and, once it is finished, the links, without reloading. Without JavaScript
   the page says to refresh. */
(function () {
  "use strict";

  var root = document.querySelector("[data-job-state]");
  if (!root || root.hasAttribute("data-job-finished")) {
    return;
  }
  var url = root.getAttribute("data-job-state");
  var bar = root.querySelector("[data-job-bar]");
  var status = root.querySelector("[data-job-status]");
  var links = root.querySelector("[data-job-links]");
  var leave = root.querySelector("[data-job-leave]");

  function link(href, text, className, download) {
    var a = document.createElement("a");
    a.className = className;
    a.href = href;
    a.textContent = text;
    if (download) {
      a.setAttribute("download", "");
    }
    return a;
  }

  function show(state) {
    if (state.total) {
      bar.max = state.total;
      bar.value = state.done;
    }
    if (!state.finished) {
      status.textContent =
        state.status_label + (state.stage ? ": " + state.stage : "") +
        (state.percent !== null ? " (" + state.percent + "%)" : "");
      return false;
    }
    bar.hidden = true;
    if (leave) {
      leave.hidden = true;
    }
    status.textContent = state.status_label + "." + (state.message ? " " + state.message : "");
    links.textContent = "";
    if (state.file_url) {
      links.appendChild(link(state.file_url, "Download the file", "button", true));
    }
    if (state.result_url) {
      links.appendChild(link(state.result_url, state.result_label, "button button--secondary"));
    }
    return true;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (state) {
        if (!state || !show(state)) {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  poll();
})();
