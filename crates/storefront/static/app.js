// Niceties only: every page works without this script.
// - times in the visitor's own time zone (the server renders UTC);
// - a live countdown of an order's hold, which reloads the page once the hold has run out.
(function () {
  "use strict";

  function localTimes() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      el.textContent = when.toLocaleString(undefined, {
        day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
      });
    });
    if (zone) {
      document.querySelectorAll("[data-tz]").forEach(function (el) { el.textContent = "your time zone (" + zone + ")"; });
    }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function countdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var deadline = new Date(el.getAttribute("data-countdown")).getTime();
      if (isNaN(deadline)) { return; }
      var timer = null;
      function tick() {
        var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
        el.textContent = format(left);
        if (left > 0) { return; }
        window.clearInterval(timer);
        var hold = el.closest("[data-hold]");
        if (hold) { hold.classList.add("is-expired"); }
        document.querySelectorAll("[data-expired-message]").forEach(function (m) { m.hidden = false; });
        document.querySelectorAll("[data-pay] button, [data-pay] input, [data-cancel] button").forEach(function (b) { b.disabled = true; });
        var status = document.getElementById("order-status");
        if (status) { status.textContent = "Expired"; status.className = "badge expired"; }
        // Show the server's own view of the order once the hold has ended.
        window.setTimeout(function () { window.location.reload(); }, 1500);
      }
      timer = window.setInterval(tick, 1000);
      tick();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes();
    countdowns();
  });
})();
