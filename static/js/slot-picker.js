/*
 * Slot picker enhancement (the page works without it):
 *
 * - The arrow keys move between the times as they are laid out (a column of times per day on a wide
 *   screen, rows of times on a phone); Home and End go to the week's first and last time. On /book the
 *   times are links and only one of them is a Tab stop (roving focus); on the reschedule pages they are
 *   one radio group, and the choice follows the focus as in any radio group.
 * - The confirm bar at the bottom of the screen says which time is chosen.
 * - "Earliest free time" chooses that time at once when it is in the week on screen.
 * - The previous/next week links load the other week in place, without a page reload, and update the
 *   address bar so that Back, Forward, reload and bookmarks keep working. The server renders the week
 *   (closures, part-day notes, formatting and all): this script fetches that same page and swaps in its
 *   picker, so the page looks the same with or without JavaScript. Any failure falls back to ordinary
 *   navigation.
 */
(function () {
  "use strict";

  var picker = document.querySelector("[data-slot-picker]");
  var status = document.querySelector("[data-picker-status]");
  if (!picker) {
    return;
  }
  var KEYS = ["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "Home", "End"];

  function slots() {
    return Array.prototype.slice.call(picker.querySelectorAll("[data-slot]"));
  }

  function box(slot) {
    return (slot.tagName === "INPUT" ? slot.parentNode : slot).getBoundingClientRect();
  }

  // The time the key leads to from `current`: the nearest one that way on screen, else the next (or
  // previous) time in the week's order, so that Right at the end of a row goes on to the next row.
  function neighbour(current, key) {
    var list = slots();
    var index = list.indexOf(current);
    if (key === "Home") {
      return list[0];
    }
    if (key === "End") {
      return list[list.length - 1];
    }
    var from = box(current);
    var cx = from.left + from.width / 2;
    var cy = from.top + from.height / 2;
    var best = null;
    var bestScore = Infinity;
    list.forEach(function (slot) {
      var r = box(slot);
      if (slot === current || !r.width) {
        return;
      }
      var x = r.left + r.width / 2;
      var y = r.top + r.height / 2;
      var horizontal = key === "ArrowRight" || key === "ArrowLeft";
      var along = key === "ArrowRight" ? x - cx : key === "ArrowLeft" ? cx - x : key === "ArrowDown" ? y - cy : cy - y;
      var across = horizontal ? Math.abs(y - cy) : Math.abs(x - cx);
      if (along <= 1 || (horizontal && across > from.height / 2)) {
        return;
      }
      var score = along + across * 2;
      if (score < bestScore) {
        best = slot;
        bestScore = score;
      }
    });
    if (best) {
      return best;
    }
    return (key === "ArrowRight" || key === "ArrowDown" ? list[index + 1] : list[index - 1]) || null;
  }

  function clearOfConfirmBar(slot) {
    var bar = picker.querySelector("[data-confirm-bar]");
    if (!bar) {
      return;
    }
    var gap = box(slot).bottom - bar.getBoundingClientRect().top + 8;
    if (gap > 0) {
      window.scrollBy(0, gap);
    }
  }

  function choose(slot) {
    if (slot.tagName === "INPUT") {
      slot.checked = true;
      slot.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      slots().forEach(function (other) {
        other.tabIndex = other === slot ? 0 : -1;
      });
    }
    slot.focus();
    clearOfConfirmBar(slot);
  }

  function showChoice() {
    var out = picker.querySelector("[data-chosen-text]");
    if (!out) {
      return;
    }
    var checked = picker.querySelector("input[data-slot]:checked");
    out.textContent = checked
      ? checked.parentNode.textContent.replace(/\s+/g, " ").trim()
      : out.getAttribute("data-empty");
  }

  function enhance() {
    var links = picker.querySelectorAll("a[data-slot]");
    Array.prototype.forEach.call(links, function (link, index) {
      link.tabIndex = index === 0 ? 0 : -1;
    });
    var keys = picker.querySelector("[data-slot-keys]");
    if (keys && slots().length) {
      keys.hidden = false;
    }
    showChoice();
  }

  enhance();

  document.addEventListener("keydown", function (event) {
    var slot = event.target;
    if (!slot.matches || !slot.matches("[data-slot]") || KEYS.indexOf(event.key) < 0 ||
        event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    var target = neighbour(slot, event.key);
    if (target) {
      choose(target);
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-slot]")) {
      showChoice();
    }
  });

  document.addEventListener("click", function (event) {
    var jump = event.target.closest ? event.target.closest("[data-first-free]") : null;
    var value = jump && jump.getAttribute("data-first-free");
    if (!value) {
      return;  // on /book the link goes straight to the form with that time
    }
    var radio = slots().filter(function (slot) {
      return slot.value === value;
    })[0];
    if (radio) {  // in the week on screen: choose it here; otherwise the link opens its week, chosen
      event.preventDefault();
      radio.parentNode.scrollIntoView({ block: "center" });
      choose(radio);
    }
  });

  if (!window.fetch || !window.DOMParser || !window.history || !window.history.pushState) {
    return;
  }

  var pending = null;
  var shown = window.location.pathname + window.location.search;

  function load(url, push) {
    if (pending) {
      pending.abort();
    }
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    picker.setAttribute("aria-busy", "true");
    picker.classList.add("is-loading");

    fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-slot-picker]");
        if (!fresh) {
          throw new Error("no slot picker in the response");
        }
        picker.replaceWith(fresh);
        var target = new URL(url, window.location.href);
        shown = target.pathname + target.search;
        picker = fresh;
        enhance();
        document.title = doc.title;
        if (push) {
          window.history.pushState({ slotPicker: true }, "", url);
        }
        var heading = picker.querySelector(".week-title");
        if (status && heading) {
          var title = heading.textContent.trim();
          status.textContent = "Showing the " + title.charAt(0).toLowerCase() + title.slice(1);
        }
        if (heading) {
          heading.focus();
        }
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") {
          return;
        }
        window.location.assign(url);
      })
      .then(function () {
        if (pending === controller) {
          pending = null;
          picker.removeAttribute("aria-busy");
          picker.classList.remove("is-loading");
        }
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-week-link]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    load(link.href, true);
  });

  window.addEventListener("popstate", function () {
    if (window.location.pathname + window.location.search === shown) {
      return;  // only the #fragment changed (the skip link, say): the week on screen is right
    }
    load(window.location.href, false);
  });
})();
