/*
 * The tip form's and the check-back page's anti-spam check (proof of work).
 * Progressive enhancement only: without JavaScript the forms work the same, and
 * the server accepts the post in its own lane (see intake/pow.py).
 *
 * The vendored ALTCHA widget (vendor/altcha/altcha.min.js, loaded just before
 * this module) solves the challenge embedded in the page when the form is sent.
 * Its "external" build ships no workers, so this registers the one the
 * challenges need (SHA-256), from our own static files, and hands the widget the
 * strings the template translated (data-* attributes on <altcha-widget>).
 */
const widgets = document.querySelectorAll("altcha-widget[data-worker]");
const altcha = globalThis.$altcha;

if (widgets.length && altcha) {
  const first = widgets[0];
  const workerUrl = first.getAttribute("data-worker");
  altcha.algorithms.set("SHA-256", () => new Worker(workerUrl));

  const names = {
    label: "data-label",
    verifying: "data-verifying",
    verified: "data-verified",
    waitAlert: "data-wait-alert",
    error: "data-error",
    expired: "data-expired",
    verificationRequired: "data-verification-required",
  };
  const strings = { ...(altcha.i18n.get("en") || {}), footer: "" };
  for (const [name, attribute] of Object.entries(names)) {
    const text = first.getAttribute(attribute);
    if (text) {
      strings[name] = text;
    }
  }
  altcha.i18n.set((document.documentElement.lang || "en").toLowerCase(), strings);
}
