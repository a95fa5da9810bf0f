// criteria-parser review, diff view: send the parser changes the curator checked; the rest are refused.
"use strict";
(function () {
  const view = document.getElementById("diff");
  const button = document.getElementById("take");
  if (!view || !button) return;
  const message = document.getElementById("message");
  button.addEventListener("click", async () => {
    const take = Array.from(document.querySelectorAll("input.take:checked")).map((box) => box.value);
    const response = await fetch("/api/take/" + encodeURIComponent(view.dataset.name), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
      body: JSON.stringify({ fingerprint: view.dataset.fingerprint, take }),
    });
    const data = await response.json();
    if (response.ok) { window.location.reload(); return; }
    message.textContent = data.error;
    message.className = "bad";
  });
})();
