/* Each strand's colour, from data-strand-colour="#rrggbb" into the --strand-colour the
   stylesheet draws with. Set through the style object, which the Content-Security-Policy
   allows, unlike a style="" attribute; without JavaScript the borders keep the brand colour. */
(function () {
  "use strict";

  var hexColour = /^#[0-9A-Fa-f]{6}$/;
  document.querySelectorAll("[data-strand-colour]").forEach(function (element) {
    var colour = element.getAttribute("data-strand-colour");
    if (hexColour.test(colour)) {
      element.style.setProperty("--strand-colour", colour);
    }
  });
})();
