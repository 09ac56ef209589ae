/* The issue page: after htmx swaps a section in place, put the keyboard focus back on the
   button that was pressed (its element was replaced). The page works without this file. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function () {
    var target = document.querySelector("[data-refocus]");
    if (target) {
      target.removeAttribute("data-refocus");
      target.focus();
    }
  });
})();
