/*
 * Character counter for long text fields. Progressive enhancement only:
 * the form works the same without it, and the server enforces the limit.
 *
 * For each textarea[data-counter][maxlength], shows "N characters left" in a
 * <p class="form-text" aria-live="polite"> and updates it on input.
 *
 * Where the text comes from (first found wins), so it can be translated in
 * the template:
 *   1. data-counter-label / data-counter-label-one on the textarea;
 *   2. the same attributes on the nearest enclosing element that has them;
 *   3. the English fallback below.
 * "{n}" in the text is replaced by the number.
 *
 * Where it is shown: if data-counter names the id of an existing element, that
 * element is filled; otherwise a new <p> is inserted right after the textarea.
 *
 * Counting: value.length, in UTF-16 code units, the same unit the browser uses
 * for maxlength. Browsers already report line breaks as a single LF, matching
 * the server, which normalises CRLF to LF before checking the length.
 */
(function () {
  "use strict";

  var FALLBACK_LABEL = "{n} characters left";
  var FALLBACK_LABEL_ONE = "1 character left";
  var counterSerial = 0;

  function labelFor(textarea, name, fallback) {
    if (textarea.hasAttribute(name)) {
      return textarea.getAttribute(name);
    }
    var holder = textarea.parentElement && textarea.parentElement.closest
      ? textarea.parentElement.closest("[" + name + "]")
      : null;
    return holder ? holder.getAttribute(name) : fallback;
  }

  function formatNumber(n) {
    try {
      return n.toLocaleString(document.documentElement.lang || undefined);
    } catch (e) {
      return String(n);
    }
  }

  function outputFor(textarea) {
    var targetId = textarea.getAttribute("data-counter");
    var output = targetId ? document.getElementById(targetId) : null;
    if (!output) {
      output = document.createElement("p");
      output.className = "form-text";
      textarea.insertAdjacentElement("afterend", output);
    }
    output.setAttribute("aria-live", "polite");
    if (!output.id) {
      counterSerial += 1;
      output.id = (textarea.id || "textarea") + "-counter-" + counterSerial;
    }
    // Let assistive technology read the counter as part of the field's description.
    var describedBy = (textarea.getAttribute("aria-describedby") || "").split(/\s+/);
    if (describedBy.indexOf(output.id) === -1) {
      describedBy.push(output.id);
      textarea.setAttribute("aria-describedby", describedBy.join(" ").trim());
    }
    return output;
  }

  function attach(textarea) {
    var max = parseInt(textarea.getAttribute("maxlength"), 10);
    if (!(max > 0)) {
      return;
    }
    var label = labelFor(textarea, "data-counter-label", FALLBACK_LABEL);
    var labelOne = labelFor(textarea, "data-counter-label-one", FALLBACK_LABEL_ONE);
    var output = outputFor(textarea);

    function update() {
      var left = Math.max(0, max - textarea.value.length);
      var text = left === 1 ? labelOne : label;
      output.textContent = text.split("{n}").join(formatNumber(left));
    }

    textarea.addEventListener("input", update);
    update();
  }

  function init() {
    if (!document.querySelectorAll) {
      return;
    }
    var fields = document.querySelectorAll("textarea[data-counter][maxlength]");
    for (var i = 0; i < fields.length; i += 1) {
      try {
        attach(fields[i]);
      } catch (e) {
        // A broken counter must never get in the way of sending the tip.
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
