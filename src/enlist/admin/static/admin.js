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

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
