// Checks every relative link in the manual (README.md, CONTRIBUTING.md, docs/*.md): the file or folder
// must exist and a `#anchor` must name a heading of the target page. External links (http:, mailto:)
// are not fetched. Run by test/docs/docs.test.ts, or by hand:
//   node --import tsx scripts/check-links.ts
// Hand-written rather than a library: GitHub's heading-anchor rule is one regex, and the pages are ours,
// so a markdown parser dependency (and its lock-file churn) buys nothing here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

/** The pages whose links are checked: README.md, CONTRIBUTING.md and every docs/*.md. */
export function manualPages(root = repoRoot): string[] {
  const docs = path.join(root, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .sort()
    : [];
  const top = ['README.md', 'CONTRIBUTING.md'].map((f) => path.join(root, f));
  return [...top, ...inDocs.map((f) => path.join(docs, f))].filter((f) => existsSync(f));
}

/** Markdown without fenced code blocks: a `#` or a link inside one is an example, not a heading or a link. */
function withoutFences(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/[`*]/g, ''); // code and emphasis marks are not text
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings (with GitHub's -1, -2 suffixes for repeats). */
export function anchors(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutFences(md).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets in a page: inline links and images `[text](target)`, without the optional title. */
export function linkTargets(md: string): string[] {
  const out: string[] = [];
  const text = withoutFences(md).replace(/`[^`\n]*`/g, ''); // inline code is an example too
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  return out;
}

/** One line per broken link: `page: target: why`. */
export function brokenLinks(pages: string[] = manualPages(), root = repoRoot): string[] {
  const problems: string[] = [];
  for (const page of pages) {
    const md = readFileSync(page, 'utf8');
    const rel = path.relative(root, page);
    for (const target of linkTargets(md)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [file, anchor] = target.split('#', 2) as [string, string | undefined];
      const dest = file ? path.resolve(path.dirname(page), decodeURI(file)) : page;
      if (!existsSync(dest)) {
        problems.push(`${rel}: ${target}: no such file ${path.relative(root, dest)}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(dest).isDirectory() || !dest.endsWith('.md')) {
        problems.push(`${rel}: ${target}: an anchor needs a markdown page`);
        continue;
      }
      if (!anchors(readFileSync(dest, 'utf8')).has(anchor)) {
        problems.push(`${rel}: ${target}: no heading with anchor #${anchor} in ${path.relative(root, dest)}`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = brokenLinks();
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? 'all relative links resolve' : `${problems.length} broken link(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
