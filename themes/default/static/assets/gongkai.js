/*
 * gongkai default theme: 长者模式 (large type, high contrast) and the print button.
 *
 * Loaded in <head> without defer, so the saved 长者模式 is set on <html> before the
 * first paint (no flash of small type). Needs no network. Without this script the site
 * works fully; the buttons it drives stay hidden.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "gongkai-elder-mode";
  var root = document.documentElement;

  // localStorage can be missing or throw (file:// in some browsers, privacy modes,
  // full quota): then the choice lasts for this page only, silently.
  function loadChoice() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) === "on";
    } catch (e) {
      return false;
    }
  }

  function saveChoice(on) {
    try {
      if (on) {
        window.localStorage.setItem(STORAGE_KEY, "on");
      } else {
        window.localStorage.removeItem(STORAGE_KEY);
      }
    } catch (e) {
      /* not remembered; nothing else to do */
    }
  }

  function setElder(on) {
    if (on) {
      root.classList.add("elder");
    } else {
      root.classList.remove("elder");
    }
  }

  root.classList.add("js");
  setElder(loadChoice());

  function wire() {
    var toggle = document.getElementById("elder-toggle");
    if (toggle) {
      var sync = function () {
        toggle.setAttribute("aria-pressed", root.classList.contains("elder") ? "true" : "false");
      };
      sync();
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var on = !root.classList.contains("elder");
        setElder(on);
        saveChoice(on);
        sync();
      });
      // Another tab changed the setting: follow it.
      window.addEventListener("storage", function (event) {
        if (event.key === STORAGE_KEY) {
          setElder(event.newValue === "on");
          sync();
        }
      });
    }

    var printButtons = document.querySelectorAll("[data-gongkai-print]");
    for (var i = 0; i < printButtons.length; i++) {
      printButtons[i].hidden = false;
      printButtons[i].addEventListener("click", function () {
        window.print();
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
