// The intake's steppers: + and - change a number input by its step, within its range, then say
// so as a change (htmx saves it). No other script; nothing inline.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button.step") : null;
  if (!button) { return; }
  var input = button.parentElement.querySelector("input[type=number]");
  if (!input) { return; }
  if (input.value === "") {
    input.value = input.min !== "" && Number(input.min) > 0 ? input.min : "0";
  } else if (button.dataset.step === "1") {
    input.stepUp();
  } else {
    input.stepDown();
  }
  input.dispatchEvent(new Event("change", { bubbles: true }));
});
