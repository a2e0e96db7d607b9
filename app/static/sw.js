/* Service worker of the phone form pages (/m/score…, /m/forms…), served as /m/sw.js.

   - keeps the page shell (CSS, JS, the signature pad) and every form page opened online, so a
     page can be reopened or reloaded in a basement or confined space with no signal;
   - pages: network first (fresh CSRF token, current form version), the cached copy when
     offline; shell files: cached copy first, refreshed in the background;
   - Background Sync ("form-queue"): sends the filled forms queued in IndexedDB when the
     connection returns, even after the page was closed. Other /m/ pages pass through. */
"use strict";
importScripts("/static/form-queue.js");

var VERSION = "form-v2";
var SHELL_CACHE = VERSION + "-shell";
var PAGE_CACHE = "form-pages";
var SHELL = ["/static/light.css", "/static/form.css", "/static/form-queue.js", "/static/form.js",
  "/static/vendor/signature_pad.umd.min.js"];
var OFFLINE_PAGE = '<!doctype html><html lang="zh-CN"><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线</title>' +
  '<link rel="stylesheet" href="/static/light.css"><main><div class="card"><h1>当前没有网络</h1>' +
  '<p>此页面尚未在本机保存，联网后打开一次即可离线使用。已打开过的表单仍可离线填写。</p>' +
  '<p><a class="btn" href="/m/score/new">打开空白评分页</a></p></div></main></html>';

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("-shell") > 0 && k !== SHELL_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function isFormPage(url) {
  var p = url.pathname;
  return p === "/m/score" || p.indexOf("/m/score/") === 0 || p === "/m/forms" || p.indexOf("/m/forms/") === 0;
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.open(SHELL_CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) {
        var fresh = fetch(req).then(function (resp) {
          if (resp.ok) cache.put(url.pathname, resp.clone());
          return resp;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
    return;
  }
  if (req.mode === "navigate" && isFormPage(url) && !/\/token$/.test(url.pathname)) {
    event.respondWith(fetch(req).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      if (resp.ok && !resp.redirected && type.indexOf("text/html") === 0) {
        var copy = resp.clone();
        caches.open(PAGE_CACHE).then(function (c) { return c.put(req.url, copy); });
      }
      return resp;
    }).catch(function () {
      return caches.open(PAGE_CACHE).then(function (c) {
        return c.match(req.url).then(function (hit) {
          return hit || (url.pathname.indexOf("/m/score") === 0 ? c.match(new URL("/m/score/new", url).href) : null);
        });
      }).then(function (hit) {
        return hit || new Response(OFFLINE_PAGE, { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    }));
  }
});

function tellClients(report) {
  return self.clients.matchAll({ type: "window" }).then(function (list) {
    list.forEach(function (c) { c.postMessage({ type: "form-queue", report: report }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "form-queue") event.waitUntil(self.FormQueue.flush().then(tellClients));
});

self.addEventListener("message", function (event) {
  if (event.data === "flush") event.waitUntil(self.FormQueue.flush().then(tellClients));
});
