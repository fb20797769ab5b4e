/* The attendance sheet on a phone in a room: "Check everyone present" ticks every box at once
   (then untick the few who are missing), and saving keeps the page when the connection drops,
   so no mark is lost: the marks stay ticked and Save can be pressed again. Without JavaScript
   the form posts as usual and offers "Save everyone as present" instead. */
(function () {
  "use strict";

  var form = document.querySelector("[data-attendance-form]");
  if (!form) {
    return;
  }
  var status = form.querySelector("[data-save-status]");
  var checkAll = form.querySelector("[data-check-all]");
  var boxes = form.querySelectorAll('input[type="checkbox"][name="present"]');

  form.querySelectorAll("[data-no-script-only]").forEach(function (element) {
    element.hidden = true;
  });
  if (checkAll) {
    checkAll.hidden = false;
    checkAll.addEventListener("click", function () {
      boxes.forEach(function (box) {
        box.checked = true;
      });
      status.textContent = "Everyone is checked. Untick anyone who is missing, then save.";
    });
  }

  var saving = false;
  form.addEventListener("submit", function (event) {
    if (saving) {
      return;
    }
    event.preventDefault();
    var button = event.submitter || form.querySelector('button[type="submit"]');
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    button.disabled = true;
    status.textContent = "Saving…";
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      // Saved, the answer is a redirect to the roster, which shows the saved message: let the
      // page go there itself, so the message is read there and not by this request.
      redirect: "manual",
    })
      .then(function (response) {
        if (response.type === "opaqueredirect") {
          window.location.assign(form.dataset.doneUrl);
          return;
        }
        // Refused (the page says why): post it the ordinary way to show the page's answer.
        saving = true;
        form.submit();
      })
      .catch(function () {
        button.disabled = false;
        status.textContent =
          "Not saved: the connection dropped. Your marks are still here; press Save attendance again.";
      });
  });
})();
