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

/* File sizes are checked as soon as a file is chosen (the server checks again), so a
   phone user does not wait for an upload that will be refused; a second tap on the
   submit button does not send the application twice. */
(function () {
  "use strict";
  var form = document.querySelector("form.apply-form");
  if (!form) { return; }
  var MB = 1024 * 1024;

  function mb(bytes) { return (bytes / MB).toFixed(1).replace(/\.0$/, ""); }

  function showError(input, message) {
    var field = input.closest(".field");
    var old = field && field.querySelector(".field-error[data-size-error]");
    if (old) { old.remove(); }
    if (!message || !field) { return; }
    var p = document.createElement("p");
    p.className = "field-error";
    p.setAttribute("data-size-error", "");
    p.textContent = message;
    input.insertAdjacentElement("afterend", p);
  }

  Array.prototype.forEach.call(form.querySelectorAll("input[type=file][data-max-bytes]"), function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var big = Array.prototype.filter.call(input.files, function (file) { return file.size > max; });
      if (big.length) {
        showError(input, "文件“" + big[0].name + "”为" + mb(big[0].size) + "MB，超过" + mb(max) +
          "MB，请压缩或重新拍摄后再选择");
        input.value = "";
      } else {
        showError(input, "");
      }
    });
  });

  var submitError = form.querySelector("[data-submit-error]");
  var button = form.querySelector("[data-submit]");
  form.addEventListener("submit", function (event) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var total = 0;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; });
    });
    if (limit && total > limit) {
      event.preventDefault();
      submitError.textContent = "所选文件合计" + mb(total) + "MB，超过" + mb(limit) + "MB，请压缩图片或减少文件后再提交";
      submitError.hidden = false;
      return;
    }
    if (button.disabled) { event.preventDefault(); return; }
    button.disabled = true;
    button.textContent = "正在提交，请稍候…";
  });
  // Coming back with the browser's back button must not leave the button disabled.
  window.addEventListener("pageshow", function () {
    button.disabled = false;
    button.textContent = "提交自荐申请";
  });
})();
