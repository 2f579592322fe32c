// Poll a background export's progress and show it; no library, no network but ours.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function start() {
    var root = document.getElementById("export-job");
    if (!root || root.dataset.polling === "1") {
      return;
    }
    root.dataset.polling = "1";
    var bar = document.getElementById("export-progress");
    var percent = document.getElementById("export-percent");
    var status = document.getElementById("export-status");
    var error = document.getElementById("export-error");
    var download = document.getElementById("export-download");
    var steps = document.getElementById("export-steps");
    var retry = document.getElementById("export-retry");
    var expiry = document.getElementById("export-expiry");
    var back = document.getElementById("export-back");

    function show(data) {
      bar.value = data.percent;
      bar.textContent = data.percent + " %";
      percent.textContent = data.percent + " %";
      status.textContent = data.status_label;
      steps.textContent = data.steps_text;
      steps.hidden = !data.steps_text;
      retry.textContent = data.retry_text;
      retry.hidden = !data.retry_text;
      error.textContent = data.error_text;
      expiry.textContent = data.expires_text;
      if (data.status === "DONE" || data.status === "FAILED") {
        back.textContent = back.dataset.finishedText;
      }
      root.dataset.status = data.status;
      if (data.download_url) {
        download.hidden = false;
      }
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
          show(data);
          if (data.status === "PENDING" || data.status === "RUNNING") {
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () {
          window.setTimeout(poll, POLL_MS * 5); // a network hiccup: try again later
        });
    }

    if (root.dataset.status === "PENDING" || root.dataset.status === "RUNNING") {
      poll();
    }
  }

  document.addEventListener("turbo:load", start);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
