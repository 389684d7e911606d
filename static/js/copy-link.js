// "Copy link" buttons: shown only when the browser can copy; the link stays selectable without them.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () { status.textContent = "Link copied."; },
        function () { field.select(); status.textContent = "Please copy the selected link."; }
      );
    });
  });
})();
