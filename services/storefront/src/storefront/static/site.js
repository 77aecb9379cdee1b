// The only script: a cart quantity submits itself when changed. Without it the Update buttons do.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});
