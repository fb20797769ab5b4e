/* On a phone the menu is one line that scrolls sideways: bring the current page's item into
   view, so the menu shows where one is. */
(function () {
  "use strict";

  var list = document.querySelector(".site-nav__list");
  var current = list && list.querySelector('[aria-current="page"]');
  if (!current || list.scrollWidth <= list.clientWidth) {
    return;
  }
  var item = current.parentElement;
  list.scrollLeft = item.offsetLeft - (list.clientWidth - item.offsetWidth) / 2;
})();
