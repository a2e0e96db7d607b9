/* The phone workspace (/m/ of towns and departments): small enhancements of pages that work
   without it — enterprises searched as one types on the request form, a picked one moved to
   the picked list, and the 告知书 link shared through the phone's share sheet or copied. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // --- enterprises on the request form --------------------------------------------------
  var q = document.getElementById("q");
  var picked = document.getElementById("ent-picked");
  var matches = document.getElementById("ent-matches");
  var none = document.getElementById("ent-none");

  function option(ent, checked) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "option";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = "enterprise_ids";
    box.value = String(ent.id);
    box.checked = !!checked;
    var text = document.createElement("span");
    text.appendChild(document.createTextNode(ent.name));
    var small = document.createElement("small");
    small.textContent = ent.uscc + (ent.address ? " · " + ent.address : "");
    text.appendChild(small);
    label.appendChild(box);
    label.appendChild(text);
    li.appendChild(label);
    return li;
  }

  function pickedIds() {
    var ids = {};
    picked.querySelectorAll("input[name=enterprise_ids]").forEach(function (b) { ids[b.value] = true; });
    return ids;
  }

  if (q && picked && matches && q.dataset.searchUrl) {
    var timer = null;
    var seq = 0;
    matches.addEventListener("change", function (ev) {
      var box = ev.target;
      if (box.name === "enterprise_ids" && box.checked) {
        picked.appendChild(box.closest("li"));
      }
    });
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var term = q.value.trim();
        var mine = ++seq;
        if (!term) {
          matches.textContent = "";
          if (none) none.hidden = true;
          return;
        }
        fetch(q.dataset.searchUrl + "?q=" + encodeURIComponent(term), {
          headers: { Accept: "application/json" }, credentials: "same-origin"
        }).then(function (r) { return r.ok ? r.json() : []; }).then(function (found) {
          if (mine !== seq) return;  // an older answer arriving late
          var have = pickedIds();
          matches.textContent = "";
          found.filter(function (e) { return !have[String(e.id)]; }).forEach(function (e) {
            matches.appendChild(option(e, false));
          });
          if (none) none.hidden = found.length > 0;
        }).catch(function () { /* the 搜索 button still works */ });
      }, 250);
    });
  }

  // --- sharing the receipt link of a 告知书 ------------------------------------------------
  document.querySelectorAll("[data-share]").forEach(function (button) {
    button.addEventListener("click", function () {
      var data = { title: button.dataset.title, text: button.dataset.text, url: button.dataset.url };
      var done = document.getElementById("share-done");
      if (navigator.share) {
        navigator.share(data).catch(function () {});
        return;
      }
      var field = document.getElementById("share-url");
      var copied = navigator.clipboard ? navigator.clipboard.writeText(data.url) : Promise.reject();
      copied.then(function () { if (done) done.hidden = false; }, function () {
        if (field) { field.focus(); field.select(); }
      });
    });
  });
})();
