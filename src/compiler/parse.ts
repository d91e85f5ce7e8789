// YAML text -> plain value, keeping node ranges; syntax errors and duplicate keys become diagnostics.
import { isAlias, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { formatPath, type Diagnostic } from './diagnostics.js';
import { SourceMap } from './source-map.js';

export interface Parsed {
  /** The document as plain data; undefined when there were errors. */
  value: unknown;
  map: SourceMap;
  diagnostics: Diagnostic[];
}

/** YAML's own messages end with " at line L, column C" (or more); we print positions ourselves. */
function plainMessage(message: string): string {
  const first = message
    .split('\n')[0]
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
  return first.charAt(0).toLowerCase() + first.slice(1);
}

// eslint-disable-next-line max-lines-per-function -- parse, then one diagnostic per YAML problem; 61 lines formatted
export function parsePipelineText(text: string, file: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
  const map = new SourceMap(doc, lines);
  const diagnostics: Diagnostic[] = [];
  for (const err of doc.errors) {
    const { line, col } = lines.linePos(err.pos[0]);
    const path = map.pathAt(err.pos[0]);
    let message = plainMessage(err.message);
    if (err.code === 'DUPLICATE_KEY') {
      const key = path[path.length - 1];
      const first = map.firstKeyPosition(path.slice(0, -1), String(key));
      message =
        `duplicate key "${String(key)}"` + (first ? ` (first defined at line ${first.line}); remove one of them` : '');
    } else if (err.code === 'MISSING_CHAR' && /quote/.test(message) && path.length > 0) {
      // YAML notices a missing quote at the end of the file; point at where the string starts.
      const start = map.locate(path, 'value');
      diagnostics.push({
        file,
        ...start,
        path: formatPath(path),
        message: `YAML syntax error: this quoted string is never closed (${message})`,
      });
      continue;
    } else {
      const opened = /end with a [}\]]/.test(message) ? map.flowCollectionStart(err.pos[0]) : undefined;
      message =
        `YAML syntax error: ${message}` +
        (opened
          ? ` (the ${message.includes('}') ? '{' : '['} opened at line ${opened.line}, column ${opened.col})`
          : '');
    }
    diagnostics.push({ file, line, col, path: formatPath(path), message });
  }
  if (diagnostics.length > 0) return { value: undefined, map, diagnostics };
  if (doc.contents === null || (doc.contents as { value?: unknown }).value === null) {
    diagnostics.push({
      file,
      line: 1,
      col: 1,
      path: '',
      message: 'the file is empty; a pipeline needs at least `name:` and `dataset:` (see pipelines/quickstart.yaml)',
    });
    return { value: undefined, map, diagnostics };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 1000 }), map, diagnostics };
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount (a "billion laughs" bomb).
    if (!(err instanceof ReferenceError) || !/alias/i.test(err.message)) throw err;
    const at = firstAliasOffset(doc);
    const { line, col } = lines.linePos(at);
    diagnostics.push({
      file,
      line,
      col,
      path: formatPath(map.pathAt(at)),
      message:
        'YAML aliases here expand to too many nodes (an alias bomb); write the values out or use fewer nested aliases',
    });
    return { value: undefined, map, diagnostics };
  }
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) {
        offset = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
}
