/*
 * The pipeline board (opportunities/board.html): move a deal to another stage by native
 * HTML5 drag and drop, or with the card's stage menu (keyboard). Loaded with `defer` on the
 * board only; no inline script (strict CSP).
 *
 *   <div data-board>
 *     <section data-column="develop"> … <span data-total-count="3"> <span data-total-amount="1250000.00">
 *       <ol data-dropzone="develop">
 *         <li data-card="12" data-stage="develop" data-amount="250000.00" draggable="true"
 *             data-move-url="/opportunities/12/move/">
 *           <form data-move-form> version, next, <select name="stage">, Move </form>
 *
 * A drop (or the menu's Move) posts the form's fields with the new stage to data-move-url,
 * asking for JSON. The card moves at once; if the server refuses (a stage rule, the write
 * permission, a stale card) the card snaps back to where it was and the rule's message shows
 * above the board. Without JavaScript the menu is a plain form POST (the server redirects
 * back to the board with the outcome).
 */
(function () {
  "use strict";

  var doc = document;
  var board = doc.querySelector("[data-board]");
  if (!board) return;

  var dragged = null;

  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function compact(value) {
    var fmt = window.Keyplan && window.Keyplan.format;
    return fmt ? fmt.compact(value) : String(Math.round(value));
  }

  function column(slug) {
    return board.querySelector('[data-column="' + slug + '"]');
  }

  function adjustColumn(slug, deltaCount, deltaAmount) {
    var col = column(slug);
    if (!col) return;
    var count = col.querySelector("[data-total-count]");
    var amount = col.querySelector("[data-total-amount]");
    var plural = col.querySelector("[data-count-plural]");
    var n = Number(count.getAttribute("data-total-count")) + deltaCount;
    var a = Number(amount.getAttribute("data-total-amount")) + deltaAmount;
    count.setAttribute("data-total-count", String(n));
    count.textContent = n.toLocaleString("en-US");
    if (plural) plural.textContent = n === 1 ? "" : "s";
    amount.setAttribute("data-total-amount", a.toFixed(2));
    amount.textContent = compact(a);
    amount.setAttribute("title", "USD " + Math.round(a).toLocaleString("en-US"));
    var empty = col.querySelector(".kp-board-empty");
    if (empty) empty.hidden = n > 0;
  }

  function showMessage(text, ok) {
    var box = doc.getElementById("board-message");
    var status = doc.getElementById("board-status");
    if (ok) {
      box.hidden = true;
      box.textContent = "";
      if (status) status.textContent = text;
      return;
    }
    box.className = "kp-board-message alert alert-danger";
    box.textContent = text;
    box.hidden = false;
  }

  function clearMessage() {
    var box = doc.getElementById("board-message");
    if (box) {
      box.hidden = true;
      box.textContent = "";
    }
  }

  /** Put `card` in the column of `slug` (at its top), or back where `origin` says. */
  function place(card, slug, origin) {
    if (origin) {
      origin.parent.insertBefore(card, origin.next);
    } else {
      var zone = board.querySelector('[data-dropzone="' + slug + '"]');
      zone.insertBefore(card, zone.firstChild);
    }
  }

  function move(card, slug) {
    var from = card.getAttribute("data-stage");
    if (!slug || slug === from || card.classList.contains("kp-deal-busy")) return;
    var form = card.querySelector("[data-move-form]");
    var select = form.querySelector("select[name=stage]");
    var amount = Number(card.getAttribute("data-amount")) || 0;
    var origin = { parent: card.parentNode, next: card.nextSibling };
    var data = new FormData(form);
    data.set("stage", slug);

    clearMessage();
    place(card, slug, null);
    card.classList.add("kp-deal-busy");
    card.setAttribute("aria-busy", "true");
    adjustColumn(from, -1, -amount);
    adjustColumn(slug, 1, amount);

    function snapBack(message) {
      place(card, from, origin);
      adjustColumn(slug, -1, -amount);
      adjustColumn(from, 1, amount);
      select.value = from;
      card.classList.add("kp-deal-refused");
      showMessage(message, false);
    }

    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { ok: false, message: "The move failed (HTTP " + response.status + "); nothing was saved." };
          });
      })
      .then(function (answer) {
        if (answer.ok) {
          card.setAttribute("data-stage", slug);
          form.querySelector("input[name=version]").value = answer.version;
          select.value = slug;
          card.classList.remove("kp-deal-refused");
          showMessage(answer.message, true);
        } else {
          snapBack(answer.message || "The move was refused; nothing was saved.");
        }
      })
      .catch(function () {
        snapBack("Could not reach the server. Check your connection and try again; nothing was saved.");
      })
      .then(function () {
        card.classList.remove("kp-deal-busy");
        card.removeAttribute("aria-busy");
      });
  }

  // --- drag and drop

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-card][draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("kp-deal-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-card"));
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("kp-deal-dragging");
    dragged = null;
    board.querySelectorAll(".kp-drop-target").forEach(function (el) {
      el.classList.remove("kp-drop-target");
    });
  });

  function zoneOf(event) {
    var col = event.target.closest && event.target.closest("[data-column]");
    return col ? col.querySelector("[data-dropzone]") : null;
  }

  board.addEventListener("dragover", function (event) {
    var zone = zoneOf(event);
    if (!dragged || !zone) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".kp-drop-target").forEach(function (el) {
      if (el !== zone) el.classList.remove("kp-drop-target");
    });
    zone.classList.add("kp-drop-target");
  });

  board.addEventListener("drop", function (event) {
    var zone = zoneOf(event);
    if (!dragged || !zone) return;
    event.preventDefault();
    zone.classList.remove("kp-drop-target");
    move(dragged, zone.getAttribute("data-dropzone"));
  });

  // --- the card's stage menu: the same move, without a page load

  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-move-form]")) return;
    var card = form.closest("[data-card]");
    event.preventDefault();
    var slug = form.querySelector("select[name=stage]").value;
    move(card, slug);
    var select = card.querySelector("select[name=stage]");
    if (select) select.focus();
  });
})();
