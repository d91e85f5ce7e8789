// User text (keys, names, file contents) echoed in messages: control bytes escaped so a key like
// "\e]0;HACKED\a\e[2J" cannot retitle or clear the terminal, and each line capped so binary garbage
// does not print 10 KB lines.

// C0 controls except \t and \n, DEL, C1 controls, line/paragraph separators and bidi overrides.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export const MAX_LINE = 1000;

export function escapeControl(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function capLine(line: string, max = MAX_LINE): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length - max} more characters)`;
}

/** Every line escaped and capped; newlines kept. */
export function terminalSafe(text: string, max = MAX_LINE): string {
  return text
    .split('\n')
    .map((l) => capLine(escapeControl(l), max))
    .join('\n');
}
