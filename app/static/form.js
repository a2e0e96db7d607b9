/* Forms on the phone (附件5 and every form the office builds): −/+/满分 steppers, running totals,
   the alternative chosen, reasons beside a field, the draft kept across reloads, the signature pad,
   photos downscaled on the phone, and the offline queue (form-queue.js) with 待发送 / 已发送.
   Without this file the page is a plain HTML form that posts and is checked by the server; with it,
   a submit is first queued in the browser and then sent, so a form filled with no signal is never
   lost. The server checks and computes everything again (app/services/forms/validation.py). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var Q = window.FormQueue;
  var $ = function (id) { return document.getElementById(id); };
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var form = document.querySelector("form.fill");
  var preview = !!(form && form.dataset.kind === "preview");  // the builder's preview: try, never send
  var queueBox = $("queue"), queueList = $("queue-list"), net = $("net");
  var STATE = { pending: "待发送", sent: "已发送", rejected: "被退回" };

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var h = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (x, i) {
      if (i === 6) x = (x & 15) | 64; if (i === 8) x = (x & 63) | 128;
      return (x + 256).toString(16).slice(1);
    }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* ---- network, service worker, pages kept for offline use ---- */
  function showNet() { if (net) net.hidden = navigator.onLine; }
  window.addEventListener("offline", showNet);
  window.addEventListener("online", function () { showNet(); send(); });
  showNet();
  // Only a logged-in page of /m/ keeps forms offline (the public receipt page does not).
  var me = (form && form.dataset.user) || (queueBox && queueBox.dataset.user);
  if ("serviceWorker" in navigator && !preview && me) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).then(prefetch).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "form-queue") renderQueue();
    });
  }
  function prefetch() {
    var links = document.querySelectorAll("a[data-prefetch]");
    if (!navigator.onLine || !window.caches || !links.length) return;
    caches.open("form-pages").then(function (cache) {
      each(links, function (a) {
        cache.match(a.href).then(function (hit) {
          if (!hit) fetch(a.href, { credentials: "same-origin" }).then(function (r) {
            if (r.ok && !r.redirected) cache.put(a.href, r);
          }).catch(function () {});
        });
      });
    });
  }

  /* ---- this phone's queue ---- */
  function renderQueue() {
    if (!Q || !queueBox) return Promise.resolve();
    return Q.all().then(function (items) {
      var mine = items.filter(function (i) { return String(i.user) === queueBox.dataset.user; });
      queueBox.hidden = !mine.length;
      queueList.textContent = "";
      mine.forEach(function (i) {
        var li = el("li"), what = el("span", "what"), s = i.summary || {};
        li.dataset.uuid = i.uuid;
        what.appendChild(el("b", null, s.title || "表单"));
        var total = i.state === "sent" && i.total != null ? i.total : s.total;
        what.appendChild(document.createTextNode((s.sub ? " · " + s.sub : "") +
          (total !== "" && total != null ? " · " + (s.totalLabel || "总分") + " " + total + " 分" : "")));
        li.appendChild(what);
        li.appendChild(el("span", "state " + i.state, STATE[i.state] || i.state));
        if (i.state === "sent" && i.url) { var a = el("a", null, "查看"); a.href = i.url; li.appendChild(a); }
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
        net.textContent = "登录已过期：表单已保存在本机，请重新登录，登录后自动发送。";
      }
    }).catch(function () {}).then(renderQueue);
  }
  if (!preview) {
    renderQueue().then(send);
    setInterval(function () { if (navigator.onLine) send(); }, 20000);
  }
  if (!form) return;

  /* ---- the form ---- */
  var draftKey = "form-draft:" + form.dataset.draftKey;
  var uuidField = form.elements.client_uuid;
  var items = Array.prototype.slice.call(form.querySelectorAll(".item"));
  var totalBar = $("totalbar"), clientErrors = $("client-errors"), sentNotice = $("sent-notice");
  var pads = [];
  if (totalBar) totalBar.hidden = false;

  function chosen(group) {
    var r = form.querySelector("input[name=g_" + group + "]:checked");
    return r ? r.value : "";
  }
  function counts(it) {  // an item outside any alternative, or in the one chosen
    var v = it.closest(".variant");
    return !v || chosen(v.dataset.group) === v.dataset.variant;
  }
  function applyChoices() {
    each(form.querySelectorAll(".variant"), function (box) {
      var on = chosen(box.dataset.group) === box.dataset.variant;
      box.classList.toggle("off", !on);
      each(box.querySelectorAll("input,textarea,select"), function (f) {
        f.disabled = !on;  // a section not chosen is never sent (二选一)
        if (f.type === "number" && f.closest(".item[data-required]")) f.required = on;
      });
    });
    each(form.querySelectorAll("label.choice"), function (l) { l.classList.toggle("on", l.querySelector("input").checked); });
  }
  /* The reason beside a field, in words (created where the server did not put one). */
  function say(key, text) {
    var p = $("e_" + key), input = form.elements["f_" + key] || form.elements["d_" + key];
    var box = input && input.closest ? input.closest(".item,.field") : (key.indexOf("g_") === 0 ? form.querySelector(".card.group[data-group='" + key.slice(2) + "'] fieldset") : null);
    if (!p && !text) return;
    if (!p && box) {
      p = el("p", "field-error");
      p.id = "e_" + key;
      p.setAttribute("role", "alert");
      if (box.tagName === "FIELDSET") box.after(p); else box.appendChild(p);
      if (input && input.setAttribute) input.setAttribute("aria-describedby", p.id);
    }
    if (!p) return;
    p.textContent = text || "";
    p.hidden = !text;
    if (box && box.classList) box.classList.toggle(box.classList.contains("item") ? "bad" : "has-error", !!text);
  }
  function valueOf(input) {
    var s = input.value.trim();
    return /^\d+$/.test(s) ? parseInt(s, 10) : (s === "" ? null : NaN);
  }
  /* What is wrong with a score, in words, beside it ("12分超过该项满分10分，未计入合计"). */
  function scoreProblem(it) {
    var input = it.querySelector("input"), n = valueOf(input), max = parseInt(input.max, 10);
    if (n === null) return null;
    if (isNaN(n)) return "须为0至" + max + "之间的整数，未计入合计";
    if (n > max) return n + "分超过该项满分" + max + "分，未计入合计";
    return "";
  }
  function updateTotal() {
    var total = 0, done = 0, needed = 0;
    items.forEach(function (it) {
      var on = counts(it), problem = on ? scoreProblem(it) : "";
      say(it.querySelector("input").name.slice(2), problem);
      it.classList.toggle("ok", on && problem === "");
      if (!on) return;
      needed++;
      if (problem === "") { total += valueOf(it.querySelector("input")); done++; }
    });
    each(form.querySelectorAll(".card.group"), function (g) {  // nothing chosen yet: count the first
      if (chosen(g.dataset.group)) return;
      var first = g.querySelector(".variant");
      needed += first ? first.querySelectorAll(".item").length : 0;
    });
    if (!totalBar) return;
    totalBar.classList.remove("sent");
    $("total-label").textContent = "合计";
    $("total").textContent = total;
    $("done").textContent = done;
    $("needed").textContent = needed;
  }
  items.forEach(function (it) {
    var input = it.querySelector("input"), max = parseInt(input.max, 10), ctl = it.querySelector(".ctl");
    function set(n) {
      input.value = Math.max(0, Math.min(max, n));
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function button(cls, text, label, fn) {
      var b = el("button", "step " + cls, text);
      b.type = "button";
      if (label) b.setAttribute("aria-label", label);
      b.addEventListener("click", fn);
      return b;
    }
    ctl.insertBefore(button("dec", "−", "减1分", function () {
      var n = valueOf(input); set(n === null || isNaN(n) ? max - 1 : n - 1);
    }), input);
    ctl.appendChild(button("inc", "+", "加1分", function () {
      var n = valueOf(input); set(n === null || isNaN(n) ? max : n + 1);
    }));
    ctl.appendChild(button("full", "满分", null, function () { set(max); }));
  });
  var paperBox = form.querySelector(".paper-only");
  function applyPaper() { if (paperBox) paperBox.classList.toggle("off", !form.elements.is_paper.checked); }
  var ents = $("ents"), entInput = form.elements.f_enterprise_name;
  if (ents && entInput) entInput.setAttribute("list", "ents");

  /* ---- signatures (signature_pad) and photos ---- */
  each(form.querySelectorAll(".sig"), function (box) {
    var canvas = box.querySelector("canvas"), data = box.querySelector("input[name^=d_]");
    var when = box.querySelector("input[name^=t_]");
    if (!window.SignaturePad) return;
    var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });
    function size() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data.value) pad.fromDataURL(data.value, { ratio: ratio, width: canvas.offsetWidth, height: canvas.offsetHeight });
    }
    pad.addEventListener("endStroke", function () {
      data.value = pad.toDataURL("image/png");
      when.value = String(Date.now());
      say(box.dataset.key, "");
      saveDraft();
    });
    box.querySelector(".clear").addEventListener("click", function () {
      pad.clear(); data.value = ""; when.value = ""; saveDraft();
    });
    pads.push(size);
    window.addEventListener("resize", size);
  });
  function showPhoto(box) {
    var data = box.querySelector("input[name^=d_]"), img = box.querySelector("img");
    img.hidden = !data.value;
    if (data.value) img.src = data.value;
    box.querySelector(".clear").hidden = !data.value;
  }
  each(form.querySelectorAll(".photo"), function (box) {
    var file = box.querySelector("input[type=file]"), data = box.querySelector("input[name^=d_]");
    file.addEventListener("change", function () {
      var f = file.files && file.files[0];
      if (!f) return;
      var img = new Image(), url = URL.createObjectURL(f);
      img.onload = function () {  // downscaled on the phone: a few hundred KB instead of 5 MB
        var k = Math.min(1, 1600 / Math.max(img.width, img.height)), c = document.createElement("canvas");
        c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        data.value = c.toDataURL("image/jpeg", 0.85);
        file.value = "";
        URL.revokeObjectURL(url);
        showPhoto(box); say(file.closest(".field").dataset.key, ""); saveDraft();
      };
      img.onerror = function () { say(file.closest(".field").dataset.key, "无法读取这张照片，请重新拍摄"); };
      img.src = url;
    });
    box.querySelector(".clear").addEventListener("click", function () { data.value = ""; showPhoto(box); saveDraft(); });
  });

  /* ---- the draft: every change is kept on the phone and survives a reload ---- */
  function fields() {
    var out = [];
    new FormData(form).forEach(function (value, name) { if (typeof value === "string") out.push([name, value]); });
    return out;
  }
  function saveDraft() {
    var data = { uuid: uuidField.value, values: {} };
    each(form.elements, function (f) {
      if (!f.name || f.name === "csrf_token" || f.type === "file" || f.name === "client_uuid" || f.name === "version_id") return;
      if (f.type === "radio" || f.type === "checkbox") {
        var list = data.values[f.name] || (data.values[f.name] = []);
        if (f.checked) list.push(f.value);
        return;
      }
      data.values[f.name] = f.value;
    });
    if (preview) return;
    try { localStorage.setItem(draftKey, JSON.stringify(data)); } catch (e) { /* storage full: keep going */ }
  }
  function restoreDraft() {
    var raw = null;
    try { raw = localStorage.getItem(draftKey); } catch (e) { raw = null; }
    if (!raw) { uuidField.value = uuid4(); return; }
    var data = JSON.parse(raw);
    uuidField.value = data.uuid || uuid4();
    Object.keys(data.values || {}).forEach(function (name) {
      var value = data.values[name];
      each(form.querySelectorAll('[name="' + name + '"]'), function (f) {
        if (f.type === "radio" || f.type === "checkbox") f.checked = [].concat(value).indexOf(f.value) >= 0;
        else f.value = value;
        if (f.tagName === "TEXTAREA" && f.value && f.closest("details")) f.closest("details").open = true;
      });
    });
  }
  function refresh() { applyChoices(); applyPaper(); updateTotal(); }

  /* A job is scored once: once its form is queued here, the page says so instead. */
  function markAssignmentDone(total) {
    if (!form.dataset.assignment) return;
    form.hidden = true;
    if (sentNotice) sentNotice.hidden = true;
    if (totalBar) totalBar.hidden = total == null;  // the bar says what was submitted, if we know it
    if (total != null) $("done-total").textContent = "（总分 " + total + " 分）";
    $("done-notice").hidden = false;
  }
  if (form.dataset.assignment && Q) {
    Q.all().then(function (list) {
      if (list.some(function (i) {
        return String(i.user) === form.dataset.user && i.state !== "rejected" && i.fields.some(function (p) {
          return p[0] === "assignment_id" && p[1] === form.dataset.assignment;
        });
      })) markAssignmentDone(null);
    }).catch(function () {});
  }
  // A page re-shown after a server refusal carries what was posted: keep it, not an older draft.
  if (preview) uuidField.value = "preview";
  else if (!$("errors")) restoreDraft();
  pads.forEach(function (size) { size(); });
  each(form.querySelectorAll(".photo"), showPhoto);
  refresh();
  form.addEventListener("input", function () { if (sentNotice) sentNotice.hidden = true; updateTotal(); saveDraft(); });
  form.addEventListener("change", function () { refresh(); saveDraft(); });
  saveDraft();
  // A date that may not be in the future. The server rendered the bureau's today as max; a page kept
  // offline since yesterday moves it on to the phone's today, but a phone whose own date is behind
  // Beijing's (set to another zone) never takes the bureau's today away: the later of the two wins.
  var now = new Date(), today = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  each(form.querySelectorAll("input[data-no-future]"), function (f) { if (!f.max || today > f.max) f.max = today; });

  /* ---- submit: the comfort checks, then queue and send ---- */
  function problems() {
    var out = [], missing = [];
    each(form.querySelectorAll(".card.group"), function (g) {
      var msg = chosen(g.dataset.group) ? "" : "请选择" + g.querySelector("legend").textContent;
      say("g_" + g.dataset.group, msg);
      if (msg) out.push(msg);
    });
    items.forEach(function (it) {
      if (!counts(it)) return;
      var no = it.querySelector(".no").textContent, p = scoreProblem(it);
      if (p === null && it.hasAttribute("data-required")) { missing.push(no); say(it.querySelector("input").name.slice(2), "请评分"); }
      else if (p) out.push("第" + no + "项" + p);
    });
    if (missing.length) out.unshift("第" + missing.join("、") + "项未评分");
    each(form.querySelectorAll(".field[data-required]"), function (box) {
      var key = box.dataset.key, kind = box.dataset.kind, empty;
      if (box.closest(".variant.off")) return;
      if (kind === "signature" || kind === "photo") empty = !form.elements["d_" + key].value;
      else if (kind === "choice" || kind === "multi" || kind === "yesno") empty = !box.querySelector("input:checked");
      else empty = !form.elements["f_" + key].value.trim();
      if (kind === "signature" && form.elements.is_paper && form.elements.is_paper.checked) empty = false;
      if (empty) {
        var label = (box.querySelector("label,legend") || {}).textContent || "";
        label = label.replace("*", "");
        var msg = kind === "signature" ? "请签名" : kind === "photo" ? "请拍摄或上传照片" : /choice|multi|yesno/.test(kind) ? "请选择" : "请填写";
        say(key, msg);
        out.push(label + "：" + msg);
      }
    });
    return out;
  }
  form.addEventListener("submit", function (e) {
    if (!preview && (!Q || !window.indexedDB)) return;  // no queue here: a plain post, checked by the server
    e.preventDefault();
    var list = problems();
    if (preview) list.push("这是预览，不会提交");
    clientErrors.hidden = !list.length;
    clientErrors.textContent = list.join("；");
    if (list.length) {
      if (preview && list.length === 1) return;
      var bad = form.querySelector(".item.bad input, .has-error input, .has-error textarea, .has-error canvas");
      if (bad && !bad.disabled) { bad.scrollIntoView({ block: "center" }); if (bad.focus) bad.focus(); }
      return;
    }
    if (!form.reportValidity()) return;
    var pick = form.querySelector("select[name$=_id]");
    var who = form.dataset.expertName || (pick ? pick.options[pick.selectedIndex].text : "");
    var ent = form.elements.f_enterprise_name;
    var total = totalBar ? $("total").textContent : "";
    var title = document.querySelector("h1") ? document.querySelector("h1").textContent : "";
    var entry = {
      uuid: uuidField.value, user: form.dataset.user, action: form.action, token: form.dataset.tokenUrl,
      fields: fields(), state: "pending", queued_at: Date.now(),
      summary: form.dataset.kind === "evaluation"
        ? { title: who.trim() || "专家", sub: ent ? ent.value : "", total: total }
        : { title: title, sub: who.trim(), total: total, totalLabel: "合计" }
    };
    var button = $("submit");
    button.disabled = true;
    Q.put(entry).then(function () {
      try { localStorage.removeItem(draftKey); } catch (err) { /* ignore */ }
      form.reset();
      each(form.querySelectorAll("input[type=hidden][name^=d_],input[type=hidden][name^=t_]"), function (f) { f.value = ""; });
      pads.forEach(function (size) { size(); });
      each(form.querySelectorAll(".photo"), showPhoto);
      uuidField.value = uuid4();
      refresh();
      saveDraft();
      // Say what was sent, with its total, until the next form is begun.
      if (sentNotice) {
        $("sent-text").textContent = (form.dataset.kind === "evaluation" ? "评价表已提交" : "已提交") +
          (total !== "" ? "，" + (form.dataset.kind === "evaluation" ? "总分 " : "合计 ") + total + " 分" : "") + "。";
        sentNotice.hidden = false;
      }
      if (totalBar) {
        totalBar.classList.add("sent");
        $("total-label").textContent = "已提交：";
        $("total").textContent = total;
      }
      markAssignmentDone(total);
      window.scrollTo(0, 0);
      return renderQueue();
    }).then(function () {
      if (queueBox) queueBox.scrollIntoView();
      return send();
    }).catch(function () {
      clientErrors.hidden = false;
      clientErrors.textContent = "本机无法保存表单（浏览器存储不可用），请联网后直接提交。";
      form.submit();
    }).then(function () { button.disabled = false; });
    if ("serviceWorker" in navigator && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then(function (reg) { if (reg.sync) return reg.sync.register("form-queue"); }).catch(function () {});
    }
  });
})();
