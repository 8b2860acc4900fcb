// Mask toggles and the opacity slider of each analysis; nothing is fetched, the report works from file://.
for (const card of document.querySelectorAll(".analysis")) {
  const slider = card.querySelector("input.opacity-slider");
  const readout = card.querySelector(".opacity output");
  const masks = card.querySelectorAll("img.mask");
  const applyOpacity = () => {
    for (const mask of masks) mask.style.opacity = String(slider.value / 100);
    readout.textContent = `${slider.value} %`;
  };
  if (slider) {
    slider.addEventListener("input", applyOpacity);
    applyOpacity();
  }
  const boxes = card.querySelectorAll("input[data-mask]");
  const sync = (box) => {
    card.querySelector(`img.mask[data-mask="${CSS.escape(box.dataset.mask)}"]`).hidden = !box.checked;
  };
  for (const box of boxes) {
    box.addEventListener("change", () => sync(box));
    sync(box);
  }
  for (const button of card.querySelectorAll("button[data-all]")) {
    button.addEventListener("click", () => {
      for (const box of boxes) {
        box.checked = button.dataset.all === "on";
        sync(box);
      }
    });
  }
}
document.documentElement.dataset.ready = "true";
