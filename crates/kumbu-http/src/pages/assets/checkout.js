// Kumbu checkout: small enhancements over a page that works without them.
// - The waiting view polls its status every 2 s and reloads when the payment moves.
// - The countdown ticks.
// - The number suggests the operator (POST …/predict: the number stays out of URLs).
// - A submitted form cannot be sent twice.
(function () {
  "use strict";
  var status = document.getElementById("status");
  if (status && window.fetch) {
    var url = status.getAttribute("data-status-url");
    var version = status.getAttribute("data-version");
    var poll = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && s.version !== version) { window.location.reload(); return; }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 4000); });
    };
    setTimeout(poll, 2000);
  }
  var clock = document.querySelector("[data-deadline]");
  if (clock) {
    var skew = Date.now() / 1000 - Number(clock.getAttribute("data-now"));
    var deadline = Number(clock.getAttribute("data-deadline"));
    var tick = function () {
      var left = Math.max(0, Math.round(deadline - (Date.now() / 1000 - skew)));
      clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (left > 0) { setTimeout(tick, 1000); }
    };
    tick();
  }
  var form = document.querySelector("form.pay");
  if (form) {
    var phone = form.querySelector("input[name=phone]");
    var predictUrl = form.getAttribute("data-predict");
    var timer;
    phone.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var v = phone.value.replace(/[\s.\-()]/g, "");
        if (!/^(\+|00)?\d{7,15}$/.test(v) || !window.fetch) { return; }
        var csrf = form.querySelector("input[name=csrf]").value;
        fetch(predictUrl, {
          method: "POST", credentials: "same-origin", cache: "no-store",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "csrf=" + encodeURIComponent(csrf) + "&phone=" + encodeURIComponent(v)
        })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (p) {
            if (!p) { return; }
            for (var i = 0; i < p.operators.length; i++) {
              var radio = form.querySelector("input[name=operator][value='" + p.operators[i] + "']");
              if (radio) { radio.checked = true; return; }
            }
          })
          .catch(function () {});
      }, 400);
    });
  }
  var forms = document.querySelectorAll("form");
  for (var j = 0; j < forms.length; j++) {
    forms[j].addEventListener("submit", function (e) {
      var f = e.target;
      if (f.getAttribute("data-sent")) { e.preventDefault(); return; }
      f.setAttribute("data-sent", "1");
      var buttons = f.querySelectorAll("button");
      setTimeout(function () {
        for (var k = 0; k < buttons.length; k++) { buttons[k].disabled = true; }
      }, 0);
    });
  }
})();
