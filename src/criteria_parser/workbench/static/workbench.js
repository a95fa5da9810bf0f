// criteria-parser review: keyboard moves, selection-to-row (constraint or entity), selection-to-words (a
// constraint's subject, an entity's span), highlighting and saving.
// All text goes into the page through textContent, never innerHTML: listing text is untrusted.
"use strict";
(function () {
  const bench = document.getElementById("workbench");
  if (!bench) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const pre = document.getElementById("listing-text");
  const viewStart = Number(pre.dataset.start);
  const viewText = Array.from(pre.textContent); // code points: the model's offsets count code points
  const message = document.getElementById("message");
  let current = -1;
  let dirty = false;
  let added = 0;
  let confirming = false; // the last save was held back for warnings: the next one saves anyway

  const rows = () => Array.from(document.querySelectorAll(".tree-pane .row"));
  const live = () => rows().filter((r) => !r.classList.contains("deleted"));
  const isEntity = (row) => row.classList.contains("entity-row");
  const field = (row, name) => row.querySelector(`[name="${name}"]`);

  function say(text, kind) {
    message.textContent = text;
    message.className = kind || "";
  }

  function progress() {
    const all = live();
    const done = all.filter((r) => r.classList.contains("accepted")).length;
    document.getElementById("progress").textContent = `${done} of ${all.length} rows accepted`;
  }

  function select(index, scroll = true) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((r, i) => r.classList.toggle("current", i === current));
    const row = all[current];
    if (scroll) row.scrollIntoView({ block: "nearest" });
    let first = null;
    pre.querySelectorAll(".seg").forEach((seg) => {
      const on = (seg.dataset.refs || "").split(" ").includes(row.dataset.id);
      seg.classList.toggle("focus", on);
      seg.classList.toggle("subj", (seg.dataset.subj || "").split(" ").includes(row.dataset.id));
      if (on && !first) first = seg;
    });
    if (first && scroll) first.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    return rows()[current] || null;
  }

  function touch(row) {
    dirty = true;
    confirming = false;
    row.classList.add("accepted", "edited");
    progress();
  }

  // an input is as wide as its value, never narrower than the size it was made with
  function fit(input) {
    if (input.tagName === "INPUT") input.size = Math.max(Array.from(input.value).length + 1, Number(input.dataset.size) || 6);
  }

  // a field's reason goes on the row's line under the fields (named by the field's label), so no field moves
  function showReason(row, name, reason, kind = "err") {
    const input = field(row, name);
    if (!input || name === "row") {
      const general = document.createElement("span");
      general.className = kind;
      general.dataset.for = kind === "err" ? "row-reason" : "warning";
      general.textContent = reason;
      row.querySelector(".errs").appendChild(general);
      return;
    }
    input.setAttribute("aria-invalid", "true");
    const err = document.createElement("span");
    err.className = kind;
    err.dataset.for = name;
    err.textContent = `${input.closest("label").querySelector("span").textContent}: ${reason}`;
    row.querySelector(".errs").appendChild(err);
    const more = input.closest("details");
    if (more) more.open = true;
  }

  // --- highlighting (the same cut as highlight.py, redone after every edit) ---
  const spanned = (m) => Number.isInteger(m.ts) && Number.isInteger(m.te) && m.ts < m.te;
  // an empty field is no offset (Number("") is 0)
  const offset = (row, name) => (field(row, name).value.trim() === "" ? NaN : Number(field(row, name).value));

  function marks() {
    return live().filter((row) => !isEntity(row)).map((row) => ({
      ref: row.dataset.id,
      kind: field(row, "kind").value,
      ts: Number(field(row, "text_start").value), te: Number(field(row, "text_end").value),
      vs: Number(field(row, "start").value), ve: Number(field(row, "end").value),
    })).filter(spanned);
  }

  function subjectMarks() {  // a constraint's subject words: outlined while its row is the current one
    return live().filter((row) => !isEntity(row)).map((row) => ({
      ref: row.dataset.id, ts: offset(row, "subject_start"), te: offset(row, "subject_end"),
    })).filter(spanned);
  }

  function entityMarks() {  // an entity is underlined, not coloured: it may lie inside a constraint's text
    return live().filter(isEntity).map((row) => ({
      ref: row.dataset.id, ts: Number(field(row, "start").value), te: Number(field(row, "end").value),
    })).filter(spanned);
  }

  function rehighlight() {
    const lo = viewStart, hi = viewStart + viewText.length;
    const found = marks().filter((m) => m.ts < hi && m.te > lo);
    const ents = entityMarks().filter((m) => m.ts < hi && m.te > lo);
    const subjects = subjectMarks().filter((m) => m.ts < hi && m.te > lo);
    const edges = new Set([lo, hi]);
    found.forEach((m) => [m.ts, m.te, m.vs, m.ve].forEach((e) => { if (e > lo && e < hi) edges.add(e); }));
    [...ents, ...subjects].forEach((m) => [m.ts, m.te].forEach((e) => { if (e > lo && e < hi) edges.add(e); }));
    const cuts = Array.from(edges).sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i], b = cuts[i + 1];
      const covering = found.filter((m) => m.ts <= a && b <= m.te).sort((x, y) => (x.te - x.ts) - (y.te - y.ts));
      const seg = document.createElement("span");
      seg.className = "seg";
      if (covering.length) {
        seg.classList.add("hl", "k-" + covering[0].kind);
        seg.dataset.refs = covering.map((m) => m.ref).join(" ");
        if (covering.some((m) => m.vs <= a && b <= m.ve)) seg.classList.add("val");
      }
      const named = ents.filter((m) => m.ts <= a && b <= m.te);
      if (named.length) {
        seg.classList.add("ent");
        seg.dataset.refs = [seg.dataset.refs || "", ...named.map((m) => m.ref)].join(" ").trim();
      }
      const subjectOf = subjects.filter((m) => m.ts <= a && b <= m.te);
      if (subjectOf.length) seg.dataset.subj = subjectOf.map((m) => m.ref).join(" ");
      seg.dataset.start = String(a);
      seg.textContent = viewText.slice(a - lo, b - lo).join("");
      frag.appendChild(seg);
    }
    pre.replaceChildren(frag);
    if (current >= 0) select(current, false);
  }

  // --- selection to offsets ---
  function offsetOf(node, offset) {
    if (node === pre) {
      const child = pre.childNodes[offset];
      return child ? Number(child.dataset.start) : viewStart + viewText.length;
    }
    const seg = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node).closest(".seg");
    if (!seg || !pre.contains(seg)) return null;
    const before = node.nodeType === Node.TEXT_NODE ? node.textContent.slice(0, offset) : "";
    return Number(seg.dataset.start) + Array.from(before).length;
  }

  function selectionSpan() {
    const sel = window.getSelection();
    if (!sel.rangeCount || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    let start = offsetOf(range.startContainer, range.startOffset);
    let end = offsetOf(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return null;
    const text = viewText.slice(start - viewStart, end - viewStart).join("");
    start += text.length - text.trimStart().length; // the same span, without the blanks around it
    end -= text.length - text.trimEnd().length;
    return end > start ? { start, end } : null;
  }

  function criterionAt(start, end) {
    let best = null;
    document.querySelectorAll(".tree-pane .crit").forEach((crit) => {
      const cs = Number(crit.dataset.start), ce = Number(crit.dataset.end);
      if (cs <= start && end <= ce && (!best || ce - cs < Number(best.dataset.end) - Number(best.dataset.start))) best = crit;
    });
    return best;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: `${response.status} ${response.statusText}` }; }
    return { ok: response.ok, status: response.status, data };
  }

  function fill(row, values) {
    Object.entries(values).forEach(([name, value]) => { const input = field(row, name); if (input) { input.value = value; fit(input); } });
  }

  // a new entity's id, given at once so that a constraint can limit it before the save (the next number of
  // its criterion, past every entity row shown, deleted ones too: a link never moves to another entity)
  function entityId(crit) {
    const prefix = `${crit.dataset.id}.e`;
    const numbers = Array.from(crit.querySelectorAll(":scope > .entities > .row")).map((r) => field(r, "id").value)
      .filter((id) => id.startsWith(prefix)).map((id) => Number(id.slice(prefix.length))).filter(Number.isInteger);
    return prefix + (Math.max(0, ...numbers) + 1);
  }

  function newRow(crit, entity, values) {
    const template = document.getElementById(entity ? "entity-template" : "row-template");
    const row = template.content.firstElementChild.cloneNode(true);
    row.dataset.id = (entity ? "m" : "n") + (++added);
    fill(row, values);
    if (entity) {
      field(row, "id").value = entityId(crit);
      row.querySelector(".entity-id").textContent = field(row, "id").value;
    }
    crit.querySelector(entity ? ".entities" : ".rows").appendChild(row);
    wire(row);
    if (entity) quote(row); else { kindClass(row); renderFlags(row); subjectWords(row); }
    touch(row);
    return row;
  }

  async function proposal(what, span) {
    const path = { constraint: "/api/propose/", entity: "/api/propose-entity/", subject: "/api/propose-subject/" }[what];
    const answer = await post(path + encodeURIComponent(bench.dataset.name), span);
    if (!answer.ok) { say(answer.data.error, "bad"); return null; }
    return answer.data;
  }

  async function addFromSelection(entity) {
    const what = entity ? "entity" : "constraint";
    const span = selectionSpan();
    if (!span) { say(`Select the ${what}'s words in the listing text first.`, "bad"); return; }
    const crit = criterionAt(span.start, span.end);
    if (!crit) { say("The selection must lie inside one criterion.", "bad"); return; }
    const answer = await proposal(what, span);
    if (!answer) return;
    const row = newRow(crit, entity, answer.values);
    row.querySelector(".quote").textContent = viewText.slice(span.start - viewStart, span.end - viewStart).join("");
    rehighlight();
    window.getSelection().removeAllRanges();
    select(rows().indexOf(row));
    field(row, entity ? "type" : "subject").focus();
    say(`${entity ? "Entity" : "Row"} added from the selection: check its fields.`, "ok");
  }

  // w: the selected words become the current row's words: a constraint's subject (its concept read from the
  // words, and the entity it limits: the criterion's entity over them, added when there is none), or an
  // entity's span (its type and concept read again, its id kept so the constraints limiting it still do)
  async function wordsFromSelection() {
    const row = currentRow();
    if (!row) return;
    const span = selectionSpan();
    const what = isEntity(row) ? "entity's" : "subject's";
    if (!span) { say(`Select the ${what} words in the listing text first.`, "bad"); return; }
    const crit = row.closest(".crit");
    if (span.start < Number(crit.dataset.start) || span.end > Number(crit.dataset.end)) {
      say(`The ${what} words must lie inside the row's criterion.`, "bad");
      return;
    }
    const answer = await proposal(isEntity(row) ? "entity" : "subject", span);
    if (!answer) return;
    window.getSelection().removeAllRanges();
    if (isEntity(row)) {
      const { id, ...values } = answer.values;
      fill(row, values);
      quote(row);
      touch(row);
      rehighlight();
      say(`Entity ${field(row, "id").value || "(new)"} now "${row.querySelector(".quote").textContent}".`, "ok");
      return;
    }
    fill(row, answer.values);
    const wanted = answer.entity;
    let entity = Array.from(crit.querySelectorAll(":scope > .entities > .row:not(.deleted)")).find(
      (r) => field(r, "start").value === wanted.start && field(r, "end").value === wanted.end);
    const adding = !entity;
    if (adding) entity = newRow(crit, true, wanted);
    field(row, "entity").value = field(entity, "id").value;
    fit(field(row, "entity"));
    subjectWords(row);
    touch(row);
    rehighlight();
    const concept = answer.values.subject_concept ? ` (${answer.values.subject_concept})` : " (open: no concept)";
    say(`Subject "${answer.values.subject_text}"${concept}, limiting entity ${field(row, "entity").value}` +
        `${adding ? ", added" : ""}.`, "ok");
  }

  // --- rows ---
  function kindClass(row) {
    row.className = row.className.replace(/\bk-\S+/g, "").trim() + " k-" + field(row, "kind").value;
  }

  function renderFlags(row) {
    const box = row.querySelector(".flags");
    let flags = [];
    try { flags = JSON.parse(field(row, "flags").value || "[]"); } catch (e) { flags = []; }
    box.replaceChildren(...(Array.isArray(flags) ? flags : []).map((flag) => {
      const chip = document.createElement("span");
      chip.className = "flag";
      chip.textContent = String(flag.kind);
      chip.title = `${flag.read} → ${flag.understood}`;
      return chip;
    }));
  }

  function wire(row) {
    row.addEventListener("click", () => select(rows().indexOf(row), false));
    row.querySelector(".accept").addEventListener("click", () => { accept(row); });
    row.querySelector(".reject").addEventListener("click", () => { reject(row); });
    row.querySelectorAll("input, select, textarea").forEach((input) => {
      input.addEventListener("input", () => {
        touch(row);
        fit(input);
        input.removeAttribute("aria-invalid");
        row.querySelectorAll(`.errs [data-for="${input.name}"], .errs [data-for="warning"]`).forEach((e) => e.remove());
        if (input.name === "kind") kindClass(row);
        if (input.name === "flags") renderFlags(row);
        if (["kind", "start", "end", "text_start", "text_end", "subject_start", "subject_end"].includes(input.name)) rehighlight();
        if (isEntity(row) && ["start", "end"].includes(input.name)) quote(row);
        if (!isEntity(row) && ["subject_start", "subject_end"].includes(input.name)) subjectWords(row);
      });
    });
  }

  function words(start, end) {  // the listing's words at a span ("" for none)
    const fits = Number.isInteger(start) && Number.isInteger(end) && viewStart <= start && start < end;
    return fits ? viewText.slice(start - viewStart, end - viewStart).join("") : "";
  }

  function quote(row) {  // an entity's words follow its span
    row.querySelector(".quote").textContent = words(Number(field(row, "start").value), Number(field(row, "end").value));
  }

  function subjectWords(row) {  // a constraint's subject words follow the subject's span (the save re-reads them)
    const text = words(offset(row, "subject_start"), offset(row, "subject_end"));
    field(row, "subject_text").value = text;
    row.querySelector(".subject-words").textContent = text;
  }

  function accept(row) {
    row.classList.remove("deleted");
    touch(row);
    rehighlight();
  }

  function reject(row) {
    row.classList.toggle("deleted");
    dirty = true;
    confirming = false;
    progress();
    rehighlight();
  }

  function clearErrors() {
    document.querySelectorAll(".tree-pane .errs > *").forEach((e) => e.remove());
    document.querySelectorAll(".tree-pane [aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    document.querySelectorAll(".tree-pane .row.invalid").forEach((r) => r.classList.remove("invalid"));
  }

  async function save() {
    clearErrors();
    const asRow = (row) => {
      const fields = {};
      row.querySelectorAll("input[name], select[name], textarea[name]").forEach((input) => { fields[input.name] = input.value; });
      return { id: row.dataset.id, criterion: row.closest(".crit").dataset.key, accepted: row.classList.contains("accepted"), fields };
    };
    const payload = {
      fingerprint: bench.dataset.fingerprint,
      confirmed: confirming,
      rows: live().filter((row) => !isEntity(row)).map(asRow),
      entities: live().filter(isEntity).map(asRow),
    };
    say("Saving…");
    const answer = await post("/api/save/" + encodeURIComponent(bench.dataset.name), payload);
    if (answer.ok) {
      bench.dataset.fingerprint = answer.data.fingerprint;
      dirty = false;
      const status = document.getElementById("status");
      status.textContent = answer.data.status;
      status.className = "status status-" + answer.data.status.replace(" ", "-");
      say(`Saved as gold (${answer.data.status}, ${answer.data.changes} change(s) logged).`, "ok");
      return;
    }
    say(answer.data.error || `save failed (${answer.status})`, "bad");
    const refused = answer.data.rows || {};
    const warned = answer.data.warnings || {};
    confirming = Object.keys(warned).length > 0;
    let first = null;
    rows().forEach((row) => {
      const errors = refused[row.dataset.id];
      if (errors) {
        row.classList.add("invalid");
        Object.entries(errors).forEach(([name, reason]) => showReason(row, name, reason));
      }
      if (warned[row.dataset.id]) showReason(row, "row", warned[row.dataset.id], "warn");
      if (errors || warned[row.dataset.id]) first = first || row;
    });
    if (first) select(rows().indexOf(first));
  }

  // --- keyboard ---
  document.addEventListener("keydown", (event) => {
    const typing = event.target.matches("input, select, textarea");
    if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); return; }
    if (typing) {
      if (event.key === "Escape") { const row = event.target.closest(".row"); event.target.blur(); if (row) row.focus(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const row = currentRow();
    switch (event.key) {
      case "j": case "ArrowDown": select(current + 1); break;
      case "k": case "ArrowUp": select(current - 1); break;
      case "a": if (row) { accept(row); select(current + 1); } break;
      case "x": case "Delete": if (row) { reject(row); select(current + 1); } break;
      case "e": case "Enter": if (row) field(row, isEntity(row) ? "type" : "subject").focus(); break;
      case "n": addFromSelection(false); break;
      case "m": addFromSelection(true); break;
      case "w": wordsFromSelection(); break;
      case "s": save(); break;
      default: return;
    }
    event.preventDefault();
  });

  pre.addEventListener("click", (event) => {
    const seg = event.target.closest(".seg");
    if (!seg || !seg.dataset.refs || !window.getSelection().isCollapsed) return;
    const index = rows().findIndex((r) => r.dataset.id === seg.dataset.refs.split(" ")[0]);
    if (index >= 0) select(index);
  });
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("add").addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
  document.getElementById("add").addEventListener("click", () => addFromSelection(false));
  document.getElementById("add-entity").addEventListener("mousedown", (event) => event.preventDefault());
  document.getElementById("add-entity").addEventListener("click", () => addFromSelection(true));
  document.getElementById("words").addEventListener("mousedown", (event) => event.preventDefault());
  document.getElementById("words").addEventListener("click", wordsFromSelection);
  window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });
  rows().forEach(wire);
  rehighlight();  // the server colours constraints; entities are underlined here
  progress();
  if (rows().length) select(0, false);
})();
