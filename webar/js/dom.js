// What the pages share in building their DOM. Text from the API (a shade's name, a claim's
// fields) goes in as text, never as markup: the pages' Content-Security-Policy would stop an
// injected script, and this keeps markup from being injected at all.

/** A table row of cells, each a node or text. */
export function row(cells) {
  const tr = document.createElement("tr");
  tr.append(...cells.map((c) => {
    const td = document.createElement("td");
    td.append(c);
    return td;
  }));
  return tr;
}
