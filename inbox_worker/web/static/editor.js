// The template editor's live preview: the draft is posted (with the form's CSRF token) a
// moment after each change, and the server's rendering replaces the preview. No inline
// script anywhere: the Content-Security-Policy allows this file only.
"use strict";
(function () {
  const form = document.getElementById("editor-form");
  const preview = document.getElementById("preview");
  if (!form || !preview || !form.dataset.preview) return; // admins only
  const url = form.dataset.preview;
  let timer = null;
  let sent = 0;

  async function refresh() {
    const mine = ++sent;
    const body = new URLSearchParams(new FormData(form));
    try {
      const reply = await fetch(url, {
        method: "POST", body, credentials: "same-origin",
        headers: {"X-Requested-With": "preview"},
      });
      if (mine !== sent) return; // a later change is on its way
      if (reply.ok) {
        preview.innerHTML = await reply.text(); // the server's escaped rendering
        form.dataset.previewed = String(mine);
      }
    } catch (err) {
      // The console went away: the Preview button still works once it is back.
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.querySelector("#source").addEventListener("input", later);
  form.querySelector("#ticket").addEventListener("change", later);

  // "line 3" in a problem: put the cursor on that line of the draft.
  preview.addEventListener("click", (event) => {
    const link = event.target.closest("a.line");
    if (!link) return;
    event.preventDefault();
    const area = form.querySelector("#source");
    const lines = area.value.split("\n");
    const line = Math.max(1, Math.min(lines.length, Number(link.dataset.line)));
    const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
    area.focus();
    area.setSelectionRange(start, start + lines[line - 1].length);
  });
})();
