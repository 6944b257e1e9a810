// Suivi des flux: refresh the rows every 2 s from flux.json (written for this page; no library).
(function () {
  const table = document.getElementById("fluxes");
  if (!table || !table.dataset.source) return;  // only the first page follows new fluxes
  const body = table.querySelector("tbody");
  const prefix = table.dataset.prefix;
  function cell(text) { const td = document.createElement("td"); td.textContent = text || ""; return td; }
  function row(f) {
    const tr = document.createElement("tr");
    tr.dataset.id = f.id_flux;
    const first = document.createElement("td");
    const link = document.createElement("a");
    link.href = prefix + "/flux/" + encodeURIComponent(f.id_flux);
    link.textContent = f.id_flux;
    first.appendChild(link);
    tr.appendChild(first);
    tr.appendChild(cell(f.file));
    tr.appendChild(cell(f.received_at));
    tr.appendChild(cell([f.syntax, f.profile].filter(Boolean).join(" ")));
    tr.appendChild(cell([f.recipient, f.service].filter(Boolean).join(" ")));
    const state = cell("");
    const badge = document.createElement("span");
    badge.className = "state " + f.state;
    badge.textContent = f.state;
    state.appendChild(badge);
    if (f.reason) state.appendChild(document.createTextNode(" " + f.reason));
    tr.appendChild(state);
    return tr;
  }
  async function refresh() {
    try {
      const answer = await fetch(table.dataset.source, { credentials: "same-origin" });
      if (!answer.ok) return;
      const data = await answer.json();
      body.replaceChildren(...data.fluxes.map(row));
    } catch (e) { /* the next tick tries again */ }
  }
  setInterval(refresh, 2000);
})();
