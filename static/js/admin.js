/* Accessibility fixes to the widgets Django's admin draws with JavaScript, loaded on every admin
   page by templates/admin/base_site.html.

   Autocomplete fields (select2): select2 names its combobox by the value chosen only, so an empty
   field has no name, and its search boxes and list of choices have none at all. Each is named
   here by the field's label (in a tabular inline, by the heading of its column), the combobox by
   the label and then the value chosen. Runs after Django's autocomplete.js has set the widgets
   up, on the page and in inline rows added later.

   Filtered multiple choices (filter_horizontal): the icon in the label of each filter box is a
   <span> with an aria-label, which a span may not have; it is an image (role="img"). */
(function () {
  "use strict";

  // After SelectFilter2.js has drawn the filter boxes, on the window's load.
  window.addEventListener("load", function () {
    document.querySelectorAll(".selector .search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  });

  // The rest is for autocomplete fields, whose pages load Django's jQuery.
  if (typeof django === "undefined" || !django.jQuery) {
    return;
  }
  var $ = django.jQuery;

  // The field's <label>, or the heading of its column in a tabular inline; given an id.
  function labelOf(select) {
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    if (!label) {
      var cell = select.closest("td");
      var table = cell && cell.closest("table");
      label = table ? table.querySelectorAll("thead th")[cell.cellIndex] || null : null;
    }
    if (label && !label.id) {
      label.id = select.id + "-label";
    }
    return label;
  }

  // select2 points its open combobox at the list with aria-owns; ARIA 1.2 asks for
  // aria-controls.
  function nameOpenList(combobox, label) {
    combobox.setAttribute("aria-controls", combobox.getAttribute("aria-owns") || "");
    document
      .querySelectorAll(
        ".select2-container--open .select2-search--dropdown .select2-search__field, " +
          ".select2-container--open .select2-results > .select2-results__options"
      )
      .forEach(function (element) {
        element.setAttribute("aria-labelledby", label.id);
      });
  }

  function name(select) {
    // select2 puts its own widget right after the <select> it hides.
    var widget = select.nextElementSibling;
    if (select.dataset.named || !widget || !widget.classList.contains("select2")) {
      return;
    }
    var label = labelOf(select);
    if (!label) {
      return;
    }
    select.dataset.named = "true";
    watchClearButtons(widget);
    var combobox = widget.querySelector(".select2-selection");
    var chosen = widget.querySelector(".select2-selection--single .select2-selection__rendered");
    if (chosen && chosen.id) {
      chosen.setAttribute("aria-labelledby", label.id);
      combobox.setAttribute("aria-labelledby", label.id + " " + chosen.id);
    } else {
      combobox.setAttribute("aria-labelledby", label.id);
    }
    widget.querySelectorAll(".select2-search__field").forEach(function (search) {
      search.setAttribute("aria-labelledby", label.id);
    });
    $(select)
      .on("select2:open", function () {
        nameOpenList(combobox, label);
      })
      .on("select2:close", function () {
        combobox.removeAttribute("aria-controls");
      });
  }

  // The × that clears a multiple choice is a <span> inside select2's list of choices, where
  // only list items belong. It works with the pointer only (Backspace clears from the
  // keyboard), so, like the × of each choice, it is hidden from assistive technology.
  function hideClearButtons(widget) {
    widget.querySelectorAll(".select2-selection__clear").forEach(function (clear) {
      clear.setAttribute("aria-hidden", "true");
    });
  }

  function watchClearButtons(widget) {
    var choices = widget.querySelector(".select2-selection--multiple .select2-selection__rendered");
    if (choices) {
      hideClearButtons(widget);
      new MutationObserver(function () {
        hideClearButtons(widget);
      }).observe(choices, { childList: true });
    }
  }

  function nameAll(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(name);
  }

  $(function () {
    nameAll(document);
  });

  document.addEventListener("formset:added", function (event) {
    nameAll(event.target);
  });
})();
