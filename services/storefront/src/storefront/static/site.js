// Small enhancements; every page works without them.
document.documentElement.classList.add("js");

// A cart quantity submits itself when changed (without this script the Update buttons do).
document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// The card number in groups of four as it is typed. The server strips the spaces again.
document.addEventListener("input", (event) => {
  const input = event.target.closest("[data-card-number]");
  if (!input) return;
  const caret = input.selectionStart ?? input.value.length;
  let digits = input.value.replace(/\D/g, "").slice(0, 19);
  let before = input.value.slice(0, caret).replace(/\D/g, "").length;
  // Backspace over a space removes the digit before it, or the caret could never pass it.
  if (event.inputType === "deleteContentBackward" && digits === input.dataset.digits && before > 0) {
    digits = digits.slice(0, before - 1) + digits.slice(before);
    before -= 1;
  }
  input.dataset.digits = digits;
  const grouped = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
  if (grouped === input.value) return;
  input.value = grouped;
  let position = 0;
  for (let seen = 0; position < grouped.length && seen < before; position += 1) {
    if (grouped[position] !== " ") seen += 1;
  }
  input.setSelectionRange(position, position);
});

// A form that must go once (the checkout) ignores a second click while the first is on its way;
// the server's idempotency key is what really makes a repeat harmless.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-submit-once]");
  if (!form) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "true";
  form.querySelectorAll("button[type=submit]").forEach((button) => button.setAttribute("aria-busy", "true"));
});
// Coming back with the Back button shows the page as it was left: submittable again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    form.querySelectorAll("[aria-busy]").forEach((button) => button.removeAttribute("aria-busy"));
  });
});
