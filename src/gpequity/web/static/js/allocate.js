// The allocation tool's enhancements. Every page works without this script: the server checks
// the weights, sorts the tables (?sort=) and shows the link to copy. With it:
// - the weights of a scenario are added up as they are typed ("Weights add up to 90%");
// - a sortable table sorts in the browser when a column heading is selected (the address
//   changes to the server's link for that order, so it can still be shared);
// - "Copy link to this scenario" copies the link;
// - after htmx swaps the results in, focus moves to the error summary or the results heading.
// Events are delegated to the document, so content swapped in by htmx works too.
(function () {
  "use strict";

  var FULL = 100;

  function parseWeight(text) {
    var cleaned = String(text || "").replace("%", "").trim();
    if (cleaned === "") return 0;
    if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return NaN;
    return Number(cleaned);
  }

  function methodOf(group) {
    var name = group.getAttribute("data-method-name");
    var form = group.closest("form");
    if (!form || !name) return "recommended";
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "recommended";
  }

  function checkWeights(group) {
    var output = group.querySelector("[data-weights-total]");
    if (!output) return;
    var total = 0;
    var unreadable = false;
    group.querySelectorAll("[data-weight]").forEach(function (input) {
      var weight = parseWeight(input.value);
      if (isNaN(weight)) unreadable = true;
      else total += weight;
    });
    // Two decimal places are enough for weights typed as percentages (33.33).
    total = Math.round(total * 100) / 100;
    var classic = methodOf(group) === "efit-classic";
    var message;
    var wrong;
    if (unreadable) {
      message = "A weight is not a number.";
      wrong = true;
    } else if (classic) {
      wrong = total > FULL;
      message = "Weights add up to " + total + "%" +
        (wrong ? ": eFIT classic needs at most 100%." :
          total < FULL ? " (the other " + (Math.round((FULL - total) * 100) / 100) + "% is shared per head)." : ".");
    } else {
      wrong = total !== FULL;
      message = "Weights add up to " + total + "%" + (wrong ? ": they must add up to 100%." : ".");
    }
    output.hidden = false;
    output.textContent = message;
    output.classList.toggle("app-allocate-weights--wrong", wrong);
  }

  function checkAll(root) {
    (root || document).querySelectorAll("[data-weights]").forEach(checkWeights);
  }

  document.addEventListener("input", function (event) {
    var group = event.target.closest && event.target.closest("[data-weights]");
    if (group) checkWeights(group);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && event.target.type === "radio") checkAll(form);
  });

  // --- sorting -----------------------------------------------------------------------------------

  // A cell's value to sort by: its data-sort-value, else read from its text (the practice
  // table leaves the attribute out to stay small): "+£1,234.56" and "−£0.2113" as
  // numbers, "Q5 (34.2)" as its score, "Not available" as missing.
  var MONEY = /^([+\u2212-]?)£([\d,]+(?:\.\d+)?)$/;
  var SCORED = /^Q\d \(([\d.,]+)\)$/;

  function textValue(cell) {
    var text = cell.textContent.replace(/\s+/g, " ").trim();
    if (text === "Not available") return "";
    var money = MONEY.exec(text);
    if (money) return (money[1] && money[1] !== "+" ? "-" : "") + money[2].replace(/,/g, "");
    var scored = SCORED.exec(text);
    if (scored) return scored[1].replace(/,/g, "");
    return text;
  }

  function sortValue(row, index) {
    var cell = row.children[index];
    if (!cell) return null;
    var given = cell.getAttribute("data-sort-value");
    return given === null ? textValue(cell) : given;
  }

  function compare(a, b) {
    var x = Number(a);
    var y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) return x - y;
    return String(a).toLowerCase().localeCompare(String(b).toLowerCase());
  }

  function sortTable(table, header, descending) {
    var index = Array.prototype.indexOf.call(header.parentNode.children, header);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var present = rows.filter(function (r) { var v = sortValue(r, index); return v !== null && v !== ""; });
    var missing = rows.filter(function (r) { var v = sortValue(r, index); return v === null || v === ""; });
    present.sort(function (a, b) {
      var order = compare(sortValue(a, index), sortValue(b, index));
      return descending ? -order : order;
    });
    present.concat(missing).forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[data-sort-key]").forEach(function (th) {
      var link = th.querySelector("a[data-sort-link]");
      var current = th === header;
      if (current) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
      if (!link) return;
      var url = new URL(link.href, window.location.href);
      var next = current && !descending ? "desc" : "asc";
      url.searchParams.set("sort", th.getAttribute("data-sort-key"));
      url.searchParams.set("order", next);
      link.href = url.pathname + url.search + url.hash;
      var hint = link.querySelector("[data-sort-hint]");
      if (hint) hint.textContent = ", sort " + (next === "desc" ? "descending" : "ascending");
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-sort-link]");
    if (!link) return;
    var table = link.closest("table[data-sortable]");
    var header = link.closest("th");
    if (!table || !header) return;
    event.preventDefault();
    var url = new URL(link.href, window.location.href);
    var descending = url.searchParams.get("order") === "desc";
    sortTable(table, header, descending);
    url.hash = "";
    window.history.replaceState(null, "", url.pathname + url.search);
  });

  // --- the picker of practices to leave out -----------------------------------------------------

  // Typing in the picker's search box hides the practices whose name, code or PCN does not
  // contain the text (ticked practices stay shown). Without the script the box stays hidden
  // and the whole list is there to tick.
  function filterPicker(input) {
    var picker = input.closest("[data-picker]");
    if (!picker) return;
    var needle = input.value.trim().toLowerCase();
    var shown = 0;
    picker.querySelectorAll(".app-picker__list li").forEach(function (item) {
      var box = item.querySelector("input");
      var match = !needle || item.textContent.toLowerCase().indexOf(needle) !== -1 || (box && box.checked);
      item.hidden = !match;
      if (match) shown += 1;
    });
    var status = picker.querySelector("[data-picker-status]");
    if (status) status.textContent = needle ? shown + (shown === 1 ? " practice matches." : " practices match.") : "";
  }

  function showPickers(root) {
    (root || document).querySelectorAll("[data-picker-search]").forEach(function (block) {
      block.hidden = false;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-picker-filter]")) filterPicker(event.target);
  });

  // --- copying the link --------------------------------------------------------------------------

  function showCopyButtons(root) {
    if (!navigator.clipboard) return;
    (root || document).querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (!input) return;
    function say(text) { if (status) status.textContent = text; }
    navigator.clipboard.writeText(input.value).then(
      function () { say("Link copied."); },
      function () { input.select(); say("Press Ctrl+C (or Cmd+C) to copy the selected link."); }
    );
  });

  // --- after htmx has swapped the results in -----------------------------------------------------

  document.addEventListener("htmx:afterSettle", function (event) {
    checkAll(document);
    showCopyButtons(document);
    showPickers(document);
    // Only a submitted form moves focus (not the list of indicators refreshed for a new ICB).
    var config = event.detail && event.detail.requestConfig;
    if (!config || !config.elt || config.elt.tagName !== "FORM") return;
    var summary = document.querySelector("#allocate-content .nhsuk-error-summary");
    var target = summary || document.querySelector("#allocate-content #results");
    if (target) {
      target.focus();
      target.scrollIntoView({ block: "start" });
    }
  });

  function start() {
    checkAll(document);
    showCopyButtons(document);
    showPickers(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
