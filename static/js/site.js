/* Small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrorSummary(event.target); });
  /* Links in the error summary move focus to the field, not just scroll to it. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({block: "center"}); }
  });
  /* After an htmx swap, bring the new results to the reader, who may be looking (or, with a
     screen reader, standing) somewhere else. Which swaps do:
     - a request to a URL ending in #id (the directory's Search button has formaction="…#results",
       which without JavaScript opens the new page at the results): focus #id's heading. The
       #id is taken off the request, so that htmx neither scrolls there itself (away from an
       error summary that has taken focus) nor adds it to the address bar.
     - a link inside the element it replaces ("Next", a filter chip): focus would otherwise be
       lost with the link, so it goes to the new content's heading.
     Changing a filter (the form updates itself) leaves focus where it is; the live region
     #results-status says how many were found. An error summary that took focus keeps it. */
  function resultsHeading(region) {
    var heading = region.querySelector(".results__count") || region.querySelector("h2, h3") || region;
    if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
    return heading;
  }
  function bringIntoView(element) {
    element.focus({preventScroll: true});
    element.scrollIntoView({block: "start"});
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    /* In a form marked data-typing-waits-for-submit, a list choice updates the results at once
       but typed words wait for Search (or Enter): leaving a text box fires "change", and
       tapping Search straight after typing would otherwise send that first, then lose the
       search itself with the form the first answer replaces. */
    var changed = detail.triggeringEvent && detail.triggeringEvent.type === "change" && detail.triggeringEvent.target;
    if (changed && changed.form && changed.form.hasAttribute("data-typing-waits-for-submit") &&
        changed.matches("input:not([type=checkbox]):not([type=radio]), textarea")) {
      event.preventDefault();
      return;
    }
    var hash = detail.path.indexOf("#");
    if (hash >= 0) {
      detail.focusAfterSwap = detail.path.slice(hash + 1);
      detail.path = detail.path.slice(0, hash);
      return;
    }
    var from = detail.triggeringEvent && detail.triggeringEvent.target;
    var link = from && from.closest && from.closest("a");
    if (link && detail.target && detail.target.contains(link)) { detail.focusAfterSwap = detail.target; }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail;
    var wanted = detail.requestConfig && detail.requestConfig.focusAfterSwap;
    if (!wanted || event.target !== detail.target) { return; }  /* once, for the main target */
    var region = typeof wanted === "string" ? document.getElementById(wanted) : wanted;
    var active = document.activeElement;
    if (!region || (active && active.closest && active.closest(".error-summary"))) { return; }
    bringIntoView(resultsHeading(region));
  });
  /* "More filters" stays open when the form comes back with new results (an htmx update), so
     that setting a filter back to "any" does not fold it away from under the reader. On a wide
     screen, where the results sit beside the form, it starts open. */
  function openMoreFilters(root) {
    var more = root.querySelectorAll("details.filters__more");
    for (var i = 0; i < more.length; i++) { more[i].open = true; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia("(min-width: 50rem)").matches) { openMoreFilters(document); }
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var old = target && target.querySelector && target.querySelector("details.filters__more");
    if (old && old.open && event.detail.fragment) { openMoreFilters(event.detail.fragment); }
  });
  /* Buttons that ask before a destructive action: <button data-confirm="Are you sure?"> */
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
