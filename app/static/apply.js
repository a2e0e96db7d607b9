/* 自荐申请 (/apply): progressive enhancement of 主要工作经历.
   Without this script the page offers a fixed number of row slots and works as is.
   With it, empty slots after the first are folded away and "增加一段经历" reveals
   the next one, or clones a new one named work_history-N-* for the server's FieldList. */
(function () {
  "use strict";
  var box = document.querySelector(".history");
  var button = document.querySelector("[data-add-row]");
  if (!box || !button) { return; }
  document.documentElement.classList.add("js");
  var max = parseInt(box.getAttribute("data-max"), 10) || 30;

  function rows() { return Array.prototype.slice.call(box.querySelectorAll("[data-row]")); }

  function isBlank(row) {
    return Array.prototype.every.call(row.querySelectorAll("input"), function (input) {
      return !input.value.trim();
    });
  }

  // Keep the first row and every row up to the last filled (or refused) one visible.
  var all = rows();
  var lastUsed = 0;
  all.forEach(function (row, i) {
    if (!isBlank(row) || row.classList.contains("has-error")) { lastUsed = i; }
  });
  all.forEach(function (row, i) {
    if (i > lastUsed) { row.hidden = true; }
  });

  function refresh() {
    var hidden = rows().filter(function (row) { return row.hidden; });
    button.hidden = !hidden.length && rows().length >= max;
  }

  function renumber(row, index) {
    row.id = "work_history-" + index;
    row.querySelector("[data-row-no]").textContent = String(index + 1);
    Array.prototype.forEach.call(row.querySelectorAll("input"), function (input) {
      var name = input.name.replace(/^work_history-\d+-/, "work_history-" + index + "-");
      input.name = name;
      input.id = name;
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    Array.prototype.forEach.call(row.querySelectorAll("label[for]"), function (label) {
      label.htmlFor = label.htmlFor.replace(/^work_history-\d+-/, "work_history-" + index + "-");
    });
    Array.prototype.forEach.call(row.querySelectorAll(".field-error"), function (p) { p.remove(); });
    row.classList.remove("has-error");
  }

  button.addEventListener("click", function () {
    var next = rows().filter(function (row) { return row.hidden; })[0];
    if (!next) {
      var list = rows();
      if (list.length >= max) { return; }
      next = list[list.length - 1].cloneNode(true);
      renumber(next, list.length);
      box.appendChild(next);
    }
    next.hidden = false;
    var first = next.querySelector("input");
    if (first) { first.focus(); }
    refresh();
  });

  button.hidden = false;
  refresh();
})();
