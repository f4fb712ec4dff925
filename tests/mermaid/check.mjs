// Parses Mermaid files with the real Mermaid parser (the `mermaid` package,
// in Node, on a jsdom document) and prints, as JSON, what Mermaid read from
// each: its vertices and edges, or the parse error.
//
//   node tests/mermaid/check.mjs FILE...
//
// tests/draw.rs runs it on the text `to_mermaid()` writes and compares what
// Mermaid read with the graph. Labels are given as Mermaid renders them:
// entity codes (`#quot;`, `#35;`) decoded and `<br>` as a newline.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

// Mermaid parks entity codes as placeholders while it parses and turns them
// into HTML entities when it renders; the browser then decodes them.
function rendered(text) {
  const html = text.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
  return html
    .split(/<br\s*\/?>/i)
    .map((part) => {
      const element = document.createElement('div');
      element.innerHTML = part;
      return element.textContent;
    })
    .join('\n');
}

const results = [];
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  try {
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    results.push({
      file,
      type: diagram.type,
      vertices: [...db.getVertices().values()].map((v) => ({
        id: v.id,
        text: rendered(v.text ?? ''),
        shape: v.type,
        classes: v.classes,
      })),
      edges: db.getEdges().map((e) => ({
        start: e.start,
        end: e.end,
        head: e.type,
        stroke: e.stroke,
        text: rendered(e.text ?? ''),
      })),
    });
  } catch (error) {
    results.push({ file, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
