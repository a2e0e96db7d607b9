/* The offline queue of filled forms (附件5 and the office's forms), kept in IndexedDB so that both
   the page (form.js) and the service worker (sw.js, Background Sync) can send it.

   An entry: {uuid, user, action, token (the URL of a fresh CSRF token), fields: [[name, value]...],
   summary: {...}, state, ...}
   state: "pending" 待发送 → "sent" 已发送 (with the server's id, total and url), or
   "rejected" 被退回 (the server's Chinese reasons). Sending is idempotent on the server
   by client_uuid, so the page and the service worker may both try the same entry. */
(function (global) {
  "use strict";
  var DB_NAME = "expertpool-score";
  var STORE = "queue";
  var KEEP_SENT_MS = 3 * 24 * 3600 * 1000;
  var TOKEN_URL = "/m/forms/token";
  var flushing = null;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "uuid" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function withStore(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = fn(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all() {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return b.queued_at - a.queued_at; });
    });
  }
  function put(item) { return withStore("readwrite", function (s) { s.put(item); }); }
  function remove(uuid) { return withStore("readwrite", function (s) { s.delete(uuid); }); }

  function prune() {
    var now = Date.now();
    return all().then(function (items) {
      return Promise.all(items.filter(function (i) {
        return i.state === "sent" && now - (i.sent_at || now) > KEEP_SENT_MS;
      }).map(function (i) { return remove(i.uuid); }));
    });
  }

  function fetchToken(url) {
    return fetch(url || TOKEN_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) { var e = new Error("login"); e.login = true; throw e; }
        if (!r.ok) throw new Error("token " + r.status);
        return r.json();
      });
  }

  function post(item, token) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { if (pair[0] !== "csrf_token") body.append(pair[0], pair[1]); });
    body.append("csrf_token", token);
    return fetch(item.action, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": token },
      body: body
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }

  /* Send every pending entry of the logged-in user. Resolves to {sent, left, login}. A network
     failure leaves entries pending (we are still offline); the next 'online' event, timer or
     sync retries them. */
  function flush() {
    if (flushing) return flushing;
    flushing = (async function () {
      var report = { sent: 0, left: 0, login: false };
      var items = (await all()).filter(function (i) { return i.state === "pending"; });
      if (!items.length) return report;
      var me;
      try { me = await fetchToken(items[0].token); } catch (e) {
        report.login = !!e.login; report.left = items.length; return report;
      }
      for (var k = 0; k < items.length; k++) {
        var item = items[k];
        if (String(item.user) !== String(me.user)) { report.left++; continue; }
        var res;
        try {
          res = await post(item, me.csrf_token);
          if (res.status === 400) { me = await fetchToken(item.token); res = await post(item, me.csrf_token); }
        } catch (e) { report.left += items.length - k; break; }
        if (res.status === 200 || res.status === 201) {
          item.state = "sent"; item.sent_at = Date.now(); item.id = res.data.id;
          item.total = res.data.total; item.url = res.data.url; delete item.message;
          report.sent++;
        } else if (res.status === 422 || res.status === 403) {
          item.state = "rejected"; item.message = (res.data.errors || ["服务器拒收"]).join("；");
        } else if (res.status === 401) {
          report.login = true; report.left += items.length - k; break;
        } else {
          report.left++; continue;
        }
        await put(item);
      }
      await prune();
      return report;
    })().finally(function () { flushing = null; });
    return flushing;
  }

  global.FormQueue = { all: all, put: put, remove: remove, flush: flush };
})(typeof self !== "undefined" ? self : this);
