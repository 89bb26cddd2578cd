/*
 * Slot picker enhancement: the previous/next week links load the other week in place, without a page
 * reload, and update the address bar so that Back, Forward, reload and bookmarks keep working.
 *
 * The server renders the week (closures, part-day notes, formatting and all): this script fetches that
 * same page and swaps in its picker, so the page looks the same with or without JavaScript. Any failure
 * falls back to ordinary navigation.
 */
(function () {
  "use strict";

  var picker = document.querySelector("[data-slot-picker]");
  var status = document.querySelector("[data-picker-status]");
  if (!picker || !window.fetch || !window.DOMParser || !window.history || !window.history.pushState) {
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
