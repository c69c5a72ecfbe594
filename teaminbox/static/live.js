// The live page: keeps the event stream's resume point, shows a discreet
// "reconnecting…" notice while the stream or the mail server is away, and
// says when this tab leaves so that "X is reading" goes with it.
// Everything that changes on the page is fetched by htmx elements listening
// with hx-trigger="sse:…"; this file only does what htmx cannot.
(function () {
  "use strict";
  var FACTS = ["flags", "new", "expunged", "moved", "assigned", "note"];
  var seen = new WeakSet();

  function notice(show) {
    var el = document.getElementById("live-notice");
    if (el) { el.hidden = !show; }
  }

  function streamElement() {
    return document.querySelector("[sse-connect]");
  }

  // htmx's SSE extension reconnects by reading sse-connect again, without
  // Last-Event-ID: keep `since` there at the last event received.
  function remember(event) {
    var el = streamElement();
    if (!el || !event.lastEventId) { return; }
    var url = new URL(el.getAttribute("sse-connect"), window.location.href);
    url.searchParams.set("since", event.lastEventId);
    el.setAttribute("sse-connect", url.pathname + url.search);
  }

  document.addEventListener("htmx:sseOpen", function (evt) {
    notice(false);
    var source = evt.detail.source;
    if (seen.has(source)) { return; }
    seen.add(source);
    FACTS.forEach(function (name) { source.addEventListener(name, remember); });
    source.addEventListener("status", function (event) {
      notice(!JSON.parse(event.data).detail.connected);
    });
    source.addEventListener("end", function () {
      source.close();
      window.location.reload();
    });
  });

  document.addEventListener("htmx:sseError", function () { notice(true); });

  window.addEventListener("pagehide", function () {
    var body = document.body;
    if (!body.dataset.tab || !navigator.sendBeacon) { return; }
    var form = new FormData();
    form.append("tab", body.dataset.tab);
    form.append("csrf_token", body.dataset.csrf);
    navigator.sendBeacon(body.dataset.leave, form);
  });
})();
