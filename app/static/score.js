/* The phone scoring page (附件5): steppers, running total, the draft kept across reloads, and
   the offline queue (score-queue.js) with its 待发送 / 已发送 states.

   Without this file the page is a plain HTML form that posts and is checked by the server;
   with it, a submit is first queued in the browser and then sent, so a form filled with no
   signal is never lost. The server recomputes and validates everything. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var form = document.getElementById("score-form");
  var queueBox = document.getElementById("queue");
  var queueList = document.getElementById("queue-list");
  var net = document.getElementById("net");
  var Q = window.ScoreQueue;
  var STATE_LABEL = { pending: "待发送", sent: "已发送", rejected: "被退回" };

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* ---- network state and the service worker ---- */
  function showNet() { if (net) net.hidden = navigator.onLine; }
  window.addEventListener("offline", showNet);
  window.addEventListener("online", function () { showNet(); send(); });
  showNet();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/score" }).then(function () {
      prefetchTasks();
    }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "score-queue") renderQueue();
    });
  }

  /* Keep the task pages of the list, so any of them opens later without a signal. */
  function prefetchTasks() {
    if (!navigator.onLine || !window.caches) return;
    var links = document.querySelectorAll("a[data-prefetch]");
    if (!links.length) return;
    caches.open("score-pages").then(function (cache) {
      Array.prototype.forEach.call(links, function (a) {
        cache.match(a.href).then(function (hit) {
          if (hit) return;
          fetch(a.href, { credentials: "same-origin" }).then(function (resp) {
            if (resp.ok && !resp.redirected) cache.put(a.href, resp);
          }).catch(function () {});
        });
      });
    });
  }

  /* ---- the queue panel ---- */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function renderQueue() {
    if (!Q || !queueBox) return Promise.resolve();
    return Q.all().then(function (items) {
      var me = queueBox.dataset.user;
      var mine = items.filter(function (i) { return String(i.user) === me; });
      queueBox.hidden = !mine.length;
      queueList.textContent = "";
      mine.forEach(function (i) {
        var li = el("li");
        li.dataset.uuid = i.uuid;
        var what = el("span", "what");
        what.appendChild(el("b", null, i.summary.expert || "专家"));
        what.appendChild(document.createTextNode(" · " + (i.summary.enterprise || "") + " · 总分 " +
          (i.state === "sent" ? i.total : i.summary.total) + " 分"));
        li.appendChild(what);
        li.appendChild(el("span", "state " + i.state, STATE_LABEL[i.state] || i.state));
        if (i.state === "sent" && i.url) {
          var a = el("a", null, "查看"); a.href = i.url; li.appendChild(a);
        }
        if (i.state === "rejected") {
          li.appendChild(el("span", "errors", i.message || ""));
          var del = el("button", null, "删除"); del.type = "button";
          del.addEventListener("click", function () { Q.remove(i.uuid).then(renderQueue); });
          li.appendChild(del);
        }
        queueList.appendChild(li);
      });
    }).catch(function () {});
  }

  function send() {
    if (!Q) return Promise.resolve();
    return Q.flush().then(function (report) {
      if (report && report.login && net) {
        net.hidden = false;
        net.textContent = "登录已过期：评价表已保存在本机，请重新登录，登录后自动发送。";
      }
    }).catch(function () {}).then(renderQueue);
  }

  renderQueue().then(send);
  setInterval(function () { if (navigator.onLine) send(); }, 20000);

  if (!form) return;

  /* ---- the form: steppers, variant choice, running total ---- */
  var key = "score-draft:" + form.dataset.draftKey;
  var uuidField = form.elements.client_uuid;
  var items = Array.prototype.slice.call(form.querySelectorAll(".item"));
  var totalBar = document.getElementById("totalbar");
  var clientErrors = document.getElementById("client-errors");
  totalBar.hidden = false;

  function chosenVariant() {
    var r = form.querySelector("input[name=variant]:checked");
    return r ? r.value : "";
  }

  function applyVariant() {
    var v = chosenVariant();
    Array.prototype.forEach.call(form.querySelectorAll(".variant"), function (box) {
      var on = box.dataset.variant === v;
      box.classList.toggle("off", !on);
      Array.prototype.forEach.call(box.querySelectorAll("input,textarea"), function (f) {
        f.disabled = !on;  // the other variant is never sent (二选一)
        if (f.type === "number") f.required = on;
      });
    });
    Array.prototype.forEach.call(form.querySelectorAll("label.choice"), function (l) {
      l.classList.toggle("on", l.querySelector("input").checked);
    });
  }

  function valueOf(input) {
    var s = input.value.trim();
    return /^\d+$/.test(s) ? parseInt(s, 10) : (s === "" ? null : NaN);
  }

  function updateTotal() {
    var v = chosenVariant(), total = 0, done = 0, needed = 0;
    items.forEach(function (it) {
      var sec = it.dataset.section;
      var input = it.querySelector("input[type=number]");
      var counts = sec === "required" || sec === v;
      var n = valueOf(input), max = parseInt(it.dataset.max, 10);
      var good = n !== null && !isNaN(n) && n >= 0 && n <= max;
      it.classList.toggle("bad", counts && n !== null && !good);
      it.classList.toggle("ok", counts && good);
      if (!counts) return;
      needed++;
      if (good) { total += n; done++; }
    });
    document.getElementById("total").textContent = total;
    document.getElementById("done").textContent = done;
    if (!v) needed += items.filter(function (it) { return it.dataset.section === "A"; }).length;
    document.getElementById("needed").textContent = needed;
  }

  items.forEach(function (it) {
    var input = it.querySelector("input[type=number]");
    var max = parseInt(it.dataset.max, 10);
    function set(n) {
      input.value = Math.max(0, Math.min(max, n));
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    it.querySelector(".dec").addEventListener("click", function () {
      var n = valueOf(input); set(n === null || isNaN(n) ? max - 1 : n - 1);
    });
    it.querySelector(".inc").addEventListener("click", function () {
      var n = valueOf(input); set(n === null || isNaN(n) ? max : n + 1);
    });
    it.querySelector(".full").addEventListener("click", function () { set(max); });
  });

  var paperBox = form.querySelector(".paper-only");
  function applyPaper() {
    if (paperBox) paperBox.classList.toggle("off", !form.elements.is_paper.checked);
  }

  /* ---- the draft: every change is kept in the browser and survives a reload ---- */
  function fields() {
    var out = [];
    new FormData(form).forEach(function (value, name) { out.push([name, value]); });
    return out;
  }

  function saveDraft() {
    var data = { uuid: uuidField.value, values: {} };
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!f.name || f.name === "csrf_token" || f.type === "hidden") return;
      if (f.type === "radio") { if (f.checked) data.values[f.name] = f.value; return; }
      if (f.type === "checkbox") { data.values[f.name] = f.checked ? "1" : ""; return; }
      data.values[f.name] = f.value;
    });
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full: keep going */ }
  }

  function restoreDraft() {
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { raw = null; }
    if (!raw) { uuidField.value = uuid4(); return false; }
    var data = JSON.parse(raw);
    uuidField.value = data.uuid || uuid4();
    Object.keys(data.values || {}).forEach(function (name) {
      var list = form.querySelectorAll('[name="' + name + '"]');
      Array.prototype.forEach.call(list, function (f) {
        if (f.type === "radio") f.checked = f.value === data.values[name];
        else if (f.type === "checkbox") f.checked = data.values[name] === "1";
        else f.value = data.values[name];
        if (f.tagName === "TEXTAREA" && f.value && f.closest("details")) f.closest("details").open = true;
      });
    });
    return true;
  }

  function refresh() { applyVariant(); applyPaper(); updateTotal(); }

  /* A job is scored once: once its form is queued here, the page says so instead of
     offering the same expert again. */
  function markAssignmentDone() {
    if (!form.dataset.assignment) return;
    form.hidden = true;
    totalBar.hidden = true;
    document.getElementById("done-notice").hidden = false;
  }
  if (form.dataset.assignment && Q) {
    Q.all().then(function (list) {
      var done = list.some(function (i) {
        return String(i.user) === form.dataset.user && i.state !== "rejected" && i.fields.some(function (p) {
          return p[0] === "assignment_id" && p[1] === form.dataset.assignment;
        });
      });
      if (done) markAssignmentDone();
    }).catch(function () {});
  }

  // A page re-shown after a server refusal carries what was posted: keep it, not an older draft.
  if (!document.getElementById("errors")) restoreDraft();
  refresh();
  form.addEventListener("input", function () { updateTotal(); saveDraft(); });
  form.addEventListener("change", function () { refresh(); saveDraft(); });
  saveDraft();

  /* ---- submit: check, queue, send ---- */
  function problems() {
    var out = [];
    var v = chosenVariant();
    if (!v) out.push("请选择考评对象（二选一）");
    var missing = [];
    items.forEach(function (it) {
      var sec = it.dataset.section;
      if (sec !== "required" && sec !== v) return;
      var no = it.querySelector(".no").textContent;
      var n = valueOf(it.querySelector("input[type=number]")), max = parseInt(it.dataset.max, 10);
      if (n === null) missing.push(no);
      else if (isNaN(n)) out.push("第" + no + "项的评分须为整数");
      else if (n > max) out.push("第" + no + "项的评分超过该项满分" + max + "分");
    });
    if (missing.length) out.unshift("第" + missing.join("、") + "项未评分");
    return out;
  }

  // The date picker may not offer a day after today (on a page kept offline since yesterday too).
  var now = new Date();
  form.elements.evaluated_on.max = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);

  form.addEventListener("submit", function (e) {
    if (!Q || !window.indexedDB) return;  // no queue here: a plain post, checked by the server
    e.preventDefault();
    var list = problems();
    clientErrors.hidden = !list.length;
    clientErrors.textContent = list.join("；");
    if (list.length) {
      var bad = form.querySelector(".item.bad input, .item:not(.ok) input[required]");
      if (bad && !bad.disabled) bad.focus();
      return;
    }
    if (!form.reportValidity()) return;
    var expertSelect = form.elements.expert_id;
    var expertName = form.dataset.expertName ||
      (expertSelect && expertSelect.tagName === "SELECT" ? expertSelect.options[expertSelect.selectedIndex].text : "");
    var entry = {
      uuid: uuidField.value, user: form.dataset.user, action: form.action, fields: fields(),
      state: "pending", queued_at: Date.now(),
      summary: {
        expert: expertName.trim(),
        enterprise: form.elements.enterprise_name.value,
        total: document.getElementById("total").textContent
      }
    };
    var button = document.getElementById("submit");
    button.disabled = true;
    Q.put(entry).then(function () {
      try { localStorage.removeItem(key); } catch (err) { /* ignore */ }
      form.reset();
      uuidField.value = uuid4();
      refresh();
      saveDraft();
      markAssignmentDone();
      window.scrollTo(0, 0);
      return renderQueue();
    }).then(function () {
      queueBox.scrollIntoView();
      return send();
    }).catch(function () {
      clientErrors.hidden = false;
      clientErrors.textContent = "本机无法保存评价表（浏览器存储不可用），请联网后直接提交。";
      form.submit();
    }).then(function () { button.disabled = false; });
    if ("serviceWorker" in navigator && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) return reg.sync.register("score-queue");
      }).catch(function () {});
    }
  });
})();
