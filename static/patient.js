// Patient forms: stop a second tap from sending the same check-in twice.
// The forms work without this file; it only disables the button once a form is on its way.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-once")) {
    return;
  }
  var button = form.querySelector("button[type=submit]");
  if (button) {
    // After this tick, so the button's own value is still sent.
    window.setTimeout(function () { button.disabled = true; }, 0);
  }
});
