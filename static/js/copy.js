/* Copy buttons for read-only fields: <button data-copy="FIELD-ID" hidden>. The buttons stay
   hidden without JavaScript, where the field is selected and copied by hand; a field marked
   data-select-on-focus selects its whole value when focused. */
(function () {
  "use strict";

  function say(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var failed = "Could not copy. The address is selected: copy it with Ctrl+C (or Command+C).";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () {
            say(id, "Copied.");
          },
          function () {
            say(id, copyBySelection(field) ? "Copied." : failed);
          }
        );
      } else {
        say(id, copyBySelection(field) ? "Copied." : failed);
      }
    });
  });
})();
