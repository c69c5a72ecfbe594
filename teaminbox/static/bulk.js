// Ticking messages of a folder list for the bulk bar (templates/inbox/
// _bulk_bar.html): "select all on this page", and the count of ticked
// messages. The bar is a plain form that works without this file; htmx
// cannot tick boxes, hence this file.
(function () {
  "use strict";
  var BOXES = 'input[name="uid"]';

  function refresh(list) {
    var boxes = list.querySelectorAll(BOXES);
    var ticked = list.querySelectorAll(BOXES + ":checked").length;
    var all = list.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var count = list.querySelector("[data-selected-count]");
    if (count) {
      count.textContent = ticked === 0 ? "" :
        ticked === 1 ? count.dataset.one : count.dataset.many.replace("{n}", String(ticked));
    }
  }

  function refreshAll() {
    document.querySelectorAll(".message-list").forEach(refresh);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var list = target.closest ? target.closest(".message-list") : null;
    if (!list) { return; }
    if (target.matches("[data-select-all]")) {
      list.querySelectorAll(BOXES).forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("[data-select-all], " + BOXES)) { refresh(list); }
  });

  // Rows come and go as the list updates live: a ticked box keeps its tick
  // (hx-preserve), the count and "all" follow. Back and reload restore ticks.
  document.addEventListener("htmx:afterSettle", refreshAll);
  window.addEventListener("pageshow", refreshAll);
  document.addEventListener("DOMContentLoaded", refreshAll);
})();
