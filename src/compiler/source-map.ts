// Maps a key path of the parsed YAML document to a line and column, so that every diagnostic
// points at the offending key or value in the user's file.
import {
  isCollection,
  isMap,
  isScalar,
  isSeq,
  visit,
  type Document,
  type LineCounter,
  type Node,
  type Pair,
} from 'yaml';
import type { PathSegment } from './diagnostics.js';

export interface Position {
  line: number;
  col: number;
}

/** Where a diagnostic points: at the key of a pair (unknown key) or at its value (wrong value). */
export type Anchor = 'key' | 'value';

function keyOf(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  return k === null || k === undefined ? undefined : String(k);
}

function rangeOf(x: unknown): [number, number, number] | undefined {
  const r = (x as { range?: [number, number, number] } | null)?.range;
  return r ?? undefined;
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private pos(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /**
   * Position of the key (anchor 'key') or value (anchor 'value') at `path`. A path that is not in
   * the file (a default, a key the user left out) falls back to the deepest part that is.
   */
  locate(path: readonly PathSegment[], anchor: Anchor = 'value'): Position {
    let node: unknown = this.doc.contents;
    let best = rangeOf(node)?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => keyOf(p) === String(seg));
        if (!pair) return this.pos(best);
        const keyStart = rangeOf(pair.key)?.[0];
        const valueStart = rangeOf(pair.value)?.[0];
        // A key without a value (`flip:`) has a null scalar placed after the colon: point at the key.
        const valueRange = rangeOf(pair.value);
        const valueIsEmpty =
          isScalar(pair.value) &&
          pair.value.value === null &&
          valueRange !== undefined &&
          valueRange[0] === valueRange[1];
        if (last && anchor === 'key') return this.pos(keyStart ?? best);
        best = valueStart !== undefined && !valueIsEmpty ? valueStart : (keyStart ?? best);
        if (last) return this.pos(best);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        const start = rangeOf(item)?.[0];
        if (start === undefined) return this.pos(best);
        best = start;
        node = item;
      } else {
        return this.pos(best);
      }
    }
    return this.pos(best);
  }

  /** The key path of the innermost node containing `offset` (for YAML errors). */
  pathAt(offset: number): PathSegment[] {
    const path: PathSegment[] = [];
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.find((p) => {
          const start = rangeOf(p.key)?.[0];
          const end = rangeOf(p.value)?.[2] ?? rangeOf(p.key)?.[2];
          return start !== undefined && end !== undefined && offset >= start && offset <= end;
        });
        const key = pair && keyOf(pair);
        if (!pair || key === undefined) return path;
        path.push(key);
        node = pair.value;
      } else if (isSeq(node)) {
        const idx = node.items.findIndex((it) => {
          const r = rangeOf(it);
          return r !== undefined && offset >= r[0] && offset <= r[2];
        });
        if (idx < 0) return path;
        path.push(idx);
        node = node.items[idx];
      } else {
        return path;
      }
    }
  }

  /** Where the innermost unclosed-looking flow collection ({ or [) around `offset` starts. */
  flowCollectionStart(offset: number): Position | undefined {
    let best: number | undefined;
    visit(this.doc, {
      Collection: (_key, node) => {
        const r = rangeOf(node);
        if (
          isCollection(node) &&
          node.flow &&
          r &&
          r[0] < offset &&
          offset <= r[2] &&
          (best === undefined || r[0] > best)
        )
          best = r[0];
      },
    });
    return best === undefined ? undefined : this.pos(best);
  }

  /** The first pair in the map at `path` whose key is `key` (to say where a duplicate was first defined). */
  firstKeyPosition(path: readonly PathSegment[], key: string): Position | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      if (isMap(node)) node = node.items.find((p) => keyOf(p) === String(seg))?.value;
      else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
      else return undefined;
    }
    if (!isMap(node)) return undefined;
    const start = rangeOf(node.items.find((p) => keyOf(p) === key)?.key)?.[0];
    return start === undefined ? undefined : this.pos(start);
  }
}

export type { Node };
