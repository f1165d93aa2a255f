// Live campaign progress (issue 7): progressive enhancement of /campaigns/<slug>.
// The page is complete without this script; with it, the progress bars and counts follow the
// Server-Sent Events of /campaigns/<slug>/live (app/campaigns/live.py). No dependencies.
(function () {
  "use strict";
  var section = document.querySelector("section.progress[data-live]");
  if (!section || !window.EventSource) return;
  var zh = section.getAttribute("data-lang") !== "en";
  var group = new Intl.NumberFormat("en-US");
  var two = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  // The same formats as app/core/pages.py (fmt_kg, fmt_fen); trees are plain integers.
  function amount(goal, n) {
    if (goal === "kg") {
      if (Math.abs(n) >= 1000) return two.format(n / 1000) + (zh ? " 吨" : " t");
      return group.format(n) + (zh ? " 千克" : " kg");
    }
    if (goal === "fen") {
      var sign = n < 0 ? "-" : "";
      var fen = Math.abs(n);
      var yuan = group.format(Math.floor(fen / 100)) + "." + String(fen % 100).padStart(2, "0");
      return zh ? sign + yuan + " 元" : "¥" + sign + yuan;
    }
    return String(n);
  }

  function show(event) {
    (event.goals || []).forEach(function (g) {
      var row = section.querySelector('.goal[data-goal="' + g.goal + '"]');
      if (!row) return;
      var bar = row.querySelector("progress");
      var text = row.querySelector("span");
      if (bar) {
        bar.max = g.target;
        bar.value = g.reached;
        bar.textContent = g.percent + "%";
      }
      if (text) {
        text.textContent = row.getAttribute("data-label") + amount(g.goal, g.reached) + " / " +
          amount(g.goal, g.target) + (zh ? "（" : " (") + g.percent + "%" + (zh ? "）" : ")");
      }
    });
    var counts = section.querySelector("[data-participation]");
    if (counts) {
      counts.textContent = counts.getAttribute("data-participation")
        .replace("{bookings}", event.bookings).replace("{checkins}", event.checkins);
    }
  }

  var source = new EventSource(section.getAttribute("data-live"));
  var status = section.querySelector(".live-status");
  source.addEventListener("progress", function (e) {
    try { show(JSON.parse(e.data)); } catch (err) { return; }
    section.setAttribute("data-live-received", String(Number(section.getAttribute("data-live-received") || 0) + 1));
    if (status) status.hidden = false;
  });
  source.onerror = function () { if (status) status.hidden = true; };  // EventSource reconnects by itself
})();
