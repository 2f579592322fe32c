// Poll an import's progress and show it; when its task is over, load the page again to show
// the result. No library, no network but ours (same pattern as reporting/export_progress.js).
(function () {
  "use strict";
  var POLL_MS = 1000;

  function start() {
    var root = document.getElementById("import-job");
    if (!root || root.dataset.polling === "1" || root.dataset.running !== "1") {
      return;
    }
    root.dataset.polling = "1";
    var bar = document.getElementById("import-progress");
    var percent = document.getElementById("import-percent");
    var rows = document.getElementById("import-rows");
    var retry = document.getElementById("import-retry");
    var stage = root.dataset.stage;

    function reload() {
      window.location.reload(); // a full load: the result page, whatever Turbo caches
    }

    function poll() {
      if (!document.body.contains(root)) {
        return; // the user left the page
      }
      fetch(root.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          bar.value = data.percent;
          bar.textContent = data.percent + " %";
          percent.textContent = data.percent + " %";
          rows.textContent = data.rows_text;
          retry.textContent = data.retry_text;
          retry.hidden = !data.retry_text;
          if (!data.running || (stage && data.stage !== stage)) {
            reload(); // the step is over: the page shows its result
            return;
          }
          stage = data.stage;
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          window.setTimeout(poll, POLL_MS * 5); // a network hiccup: try again later
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("turbo:load", start);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
