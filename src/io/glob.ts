/**
 * Expanding what a user passes to a reader (a file, a directory, a glob or an array of those)
 * into a sorted list of files, with node:fs only (Node 20 has no fs.glob). Runs on the client
 * when a read is planned.
 */

import { readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { BarnError } from "../errors.js";
import { IoErrorCodes } from "./codes.js";

/** True when the string has glob syntax (`*`, `?`, `{a,b}`, `[...]`). */
function hasMagic(pattern: string): boolean {
  return /[*?{[]/.test(pattern);
}

/**
 * The files a path spec names, sorted within each spec and without duplicates. A directory
 * gives its files (recursively) whose names end with one of `extensions`; a glob supports `*`,
 * `?`, `**`, `{a,b}` and `[...]`. A spec that matches nothing throws BARN_IO_NOT_FOUND naming it.
 */
export function expandPaths(
  spec: string | readonly string[],
  extensions: readonly string[],
): string[] {
  const specs = typeof spec === "string" ? [spec] : spec;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const files = expandOne(s, extensions);
    if (files.length === 0) {
      const hint = hasMagic(s)
        ? "check the pattern and the working directory"
        : `pass a file, a directory holding ${extensions.join("/")} files, or a glob`;
      throw new BarnError(IoErrorCodes.NOT_FOUND, `no file matches "${s}": ${hint}`);
    }
    for (const f of files) {
      if (!seen.has(f)) {
        seen.add(f);
        out.push(f);
      }
    }
  }
  return out;
}

function expandOne(spec: string, extensions: readonly string[]): string[] {
  if (!hasMagic(spec)) {
    const st = statOrUndefined(spec);
    if (st === undefined) return [];
    if (!st.isDirectory()) return [spec];
    return walk(spec).filter((f) => extensions.some((e) => f.endsWith(e)));
  }
  const { base, rest } = splitBase(spec);
  const re = globToRegExp(rest);
  const root = base === "" ? "." : base;
  if (statOrUndefined(root)?.isDirectory() !== true) return [];
  return walk(root)
    .map((f) => (base === "" ? f.slice(2) : f))
    .filter((f) =>
      re.test(
        toSlash(f.slice(base === "" ? 0 : base.endsWith("/") ? base.length : base.length + 1)),
      ),
    );
}

/** The leading path segments without glob syntax, and the pattern after them. */
function splitBase(spec: string): { base: string; rest: string } {
  const parts = toSlash(spec).split("/");
  const first = parts.findIndex(hasMagic);
  const base = parts.slice(0, first).join("/");
  return {
    base: spec.startsWith("/") && base === "" ? "/" : base,
    rest: parts.slice(first).join("/"),
  };
}

/** Every file under `dir`, sorted, as `dir/relative/path`. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const e of entries) {
    const p = dir === "." ? `.${sep}${e.name}` : join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out;
}

/** A glob over `/`-separated relative paths as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  let inBraces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        if (glob[i + 2] === "/") {
          re += "(?:.*/)?";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      inBraces++;
      re += "(?:";
    } else if (c === "}" && inBraces > 0) {
      inBraces--;
      re += ")";
    } else if (c === "," && inBraces > 0) re += "|";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function toSlash(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}

function statOrUndefined(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}
