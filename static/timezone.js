// Preselect this device's time zone on the patient's details form, unless it is saved already.
(function () {
  var select = document.querySelector("select[data-browser-zone]");
  if (!select || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || zone === select.dataset.saved) return;
  var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
  if (!option) return;
  select.value = zone;
  var note = document.getElementById("browser-zone-note");
  if (note) note.hidden = false;
})();
