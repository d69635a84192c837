// Glob patterns for `contextGc.excludedGlobs`, matched against workspace-relative paths with forward
// slashes. Supports `**` (any number of path segments), `*` and `?` (within one segment), `{a,b}`
// alternatives and `[...]` character classes. A pattern without a `/` matches a file name anywhere
// (`*.min.js` is `**/*.min.js`), as in .gitignore. Pure, so the Node unit tests cover it.

const cache = new Map<string, RegExp>();

function escape(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? '\\' + ch : ch;
}

/** Translates one glob into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const hit = cache.get(glob);
  if (hit) return hit;
  let g = glob.trim().replace(/\\/g, '/');
  while (g.startsWith('./')) g = g.slice(2);
  if (!g.includes('/')) g = '**/' + g;
  let re = '';
  let depth = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        const atStart = i === 0 || g[i - 1] === '/';
        const atEnd = i + 2 === g.length || g[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches zero or more whole segments; a trailing `/**` matches everything below.
          if (i + 2 === g.length) re += '.*';
          else {
            re += '(?:[^/]*/)*';
            i++; // skip the slash after **
          }
          i++;
          continue;
        }
        i++;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else if (c === '[') {
      const close = g.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let body = g.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = close;
      }
    } else re += escape(c);
  }
  while (depth-- > 0) re += ')';
  const out = new RegExp(`^${re}$`);
  cache.set(glob, out);
  return out;
}

export function matchesGlob(relPath: string, glob: string): boolean {
  return globToRegExp(glob).test(relPath.replace(/\\/g, '/'));
}

/** The first pattern matching the path, or undefined. */
export function firstMatch(relPath: string, globs: readonly string[]): string | undefined {
  return globs.find((g) => matchesGlob(relPath, g));
}
