/* The side menu reachable with the Tab key.
 *
 * Material's list keeps one item in the tab order (roving tabindex) and, with several
 * lists in the drawer, leaves none: every item gets tabindex="-1". Put the menu's links
 * and buttons back in the tab order, now and whenever the list code changes them.
 */
(function () {
  "use strict";
  function restore(root) {
    root.querySelectorAll("#menu a[href], #menu button").forEach(function (item) {
      if (item.getAttribute("tabindex") !== "0") { item.setAttribute("tabindex", "0"); }
    });
  }
  function watch() {
    var menu = document.getElementById("menu");
    if (!menu || menu.dataset.keyboard) { return; }
    menu.dataset.keyboard = "1";
    restore(document);
    new MutationObserver(function () { restore(document); }).observe(menu, {
      subtree: true, attributes: true, attributeFilter: ["tabindex"], childList: true,
    });
  }
  // A skip link moves the focus at once (the fragment navigation, left to the browser and
  // Turbo, may land after the next key press): the next Tab then enters its target.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.skip-link[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "start" });
  });
  document.addEventListener("DOMContentLoaded", watch);
  document.addEventListener("turbo:load", watch);
  window.addEventListener("load", watch);
})();
