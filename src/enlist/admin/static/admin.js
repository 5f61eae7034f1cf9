// Enlist admin: copy buttons and confirmations. Everything works without it, only less handily.
(function () {
  "use strict";

  function announce(id, text) {
    var region = document.querySelector('[data-copied-for="' + id + '"]');
    if (region) {
      region.textContent = text;
      window.setTimeout(function () { region.textContent = ""; }, 4000);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var value = field.value;
    var done = function () {
      button.textContent = "Copied";
      announce(field.id, "Copied to the clipboard.");
      window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
    };
    var fallback = function () {
      field.focus();
      field.select();
      try {
        if (document.execCommand("copy")) { done(); return; }
      } catch (e) { /* fall through */ }
      announce(field.id, "Selected: press Ctrl+C (or Cmd+C) to copy.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, fallback);
    } else {
      fallback();
    }
  });

  // On a phone a table is stacked rows (admin.css); each cell shows its column's name.
  function labelCells(root) {
    root.querySelectorAll(".table-wrap table").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (names[index] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[index]);
        });
      });
    });
  }
  labelCells(document);
  document.addEventListener("htmx:afterSwap", function (event) { labelCells(event.target); });

  // Times in the admin's own time zone (the browser's); the page says UTC, kept on hover.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function zoneName(date) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(date);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") return parts[i].value;
      }
    } catch (e) { /* an old browser: the offset below */ }
    var offset = -date.getTimezoneOffset();
    return "UTC" + (offset >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(offset) / 60)) + ":" + pad(Math.abs(offset) % 60);
  }
  function localTimes(root) {
    var times = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var element = times[i];
      if (element.hasAttribute("data-local")) continue;
      var date = new Date(element.getAttribute("datetime"));
      if (isNaN(date.getTime())) continue;
      var day = date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
      var clock = pad(date.getHours()) + ":" + pad(date.getMinutes());
      if (element.hasAttribute("data-seconds")) clock += ":" + pad(date.getSeconds());
      var utc = element.getAttribute("title") || element.textContent;
      element.setAttribute("title", utc);
      element.setAttribute("data-local", "");
      if (element.hasAttribute("data-seconds")) {
        element.textContent = day;
        var meta = document.createElement("span");
        meta.className = "meta block";
        meta.textContent = clock + " " + zoneName(date);
        element.appendChild(meta);
      } else {
        element.textContent = day + " " + clock + " " + zoneName(date);
      }
    }
  }
  localTimes(document);
  document.addEventListener("htmx:afterSwap", function (event) { localTimes(event.target); });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
