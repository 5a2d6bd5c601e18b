/*
  groupsim's web page works without this script. With it, a timed decision shows its
  time counting down, and a screen reader hears about it now and then, politely (at the
  start, at 30 and 10 seconds left, and when the time is up), never every second.
  The server keeps the time: this only shows it.
*/
(function () {
  "use strict";
  var box = document.querySelector("[data-countdown]");
  if (!box) {
    return;
  }
  var left = parseInt(box.getAttribute("data-seconds"), 10);
  var limit = parseInt(box.getAttribute("data-limit"), 10);
  if (isNaN(left) || isNaN(limit) || limit <= 0) {
    return;
  }
  var text = box.querySelector("[data-countdown-text]");
  var fill = box.querySelector("[data-countdown-fill]");
  var say = document.querySelector("[data-countdown-say]");
  var end = Date.now() + left * 1000;
  var told = {};
  box.hidden = false;

  function plural(n) {
    return n === 1 ? "1 second" : n + " seconds";
  }

  function tell(key, words) {
    if (say && !told[key]) {
      told[key] = true;
      say.textContent = words;
    }
  }

  function show() {
    var now = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    if (text) {
      text.textContent = now > 0 ? plural(now) + " left" : "The time is up";
    }
    if (fill) {
      fill.setAttribute("width", String(Math.max(0, Math.min(100, (100 * now) / limit))));
    }
    if (now <= 0) {
      tell("up", "The time is up. Send your answer to see what happens; it counts as letting the time run out.");
      return false;
    }
    if (now <= 10) {
      tell("10", "10 seconds left.");
    } else if (now <= 30 && left > 30) {
      tell("30", "30 seconds left.");
    }
    return true;
  }

  // The first announcement waits a moment, so it follows the page's heading rather than cutting in.
  window.setTimeout(function () {
    if (left > 10) {
      tell("start", plural(left) + " left for this decision.");
    }
  }, 1500);
  if (show()) {
    var timer = window.setInterval(function () {
      if (!show()) {
        window.clearInterval(timer);
      }
    }, 1000);
  }
})();
