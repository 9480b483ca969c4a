/**
 * The seeded JSON-lines dataset the frame (JSON cases) and bag benchmarks read: `rows` event
 * records split over `files` files, one JSON object per line:
 * `{"user":"u<0..9999>","action":<one of 8>,"value":<float>,"tags":[<0-3 strings>]}`.
 * 2,000,000 rows in 10 files is about 140 MB. Generation is deterministic in `seed` and skipped
 * when `manifest.json` says the files are already there.
 *
 * Run directly to generate: `node dist/bench/events-data.js <dir> [rows] [files]`.
 */

import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mulberry32 } from "./random.js";

/** Options of `generateEvents`. */
export interface EventsOptions {
  readonly rows?: number;
  readonly files?: number;
  readonly seed?: number;
}

/** Where the generated files are. */
export interface EventsData {
  readonly dir: string;
  readonly rows: number;
  readonly files: string[];
  /** False when the files were already there. */
  readonly generated: boolean;
}

export const ACTIONS = ["click", "view", "scroll", "buy", "share", "like", "login", "logout"];
const TAGS = ["red", "green", "blue", "new", "sale", "promo", "mobile", "desktop"];
const USERS = 10_000;
const VERSION = 1;

/** Generates (or finds) the dataset in `dir`. */
export async function generateEvents(
  dir: string,
  options: EventsOptions = {},
): Promise<EventsData> {
  const rows = options.rows ?? 2_000_000;
  const count = options.files ?? 10;
  const seed = options.seed ?? 1;
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: count }, (_, i) =>
    join(dir, `events-${String(i).padStart(3, "0")}.jsonl`),
  );
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.stringify({ version: VERSION, rows, files: count, seed });
  if (
    existsSync(manifestPath) &&
    readFileSync(manifestPath, "utf8") === manifest &&
    files.every((f) => existsSync(f))
  ) {
    return { dir, rows, files, generated: false };
  }
  const rng = mulberry32(seed);
  const perFile = Math.ceil(rows / count);
  for (let f = 0; f < count; f++) {
    const n = Math.max(0, Math.min(perFile, rows - f * perFile));
    await writeLines(files[f]!, n, rng);
  }
  writeFileSync(manifestPath, manifest);
  return { dir, rows, files, generated: true };
}

async function writeLines(path: string, n: number, rng: () => number): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  const chunk: string[] = [];
  for (let i = 0; i < n; i++) {
    const tags: string[] = [];
    const ntags = Math.floor(rng() * 4);
    for (let t = 0; t < ntags; t++) tags.push(TAGS[Math.floor(rng() * TAGS.length)]!);
    const record = {
      user: `u${Math.floor(rng() * USERS)}`,
      action: ACTIONS[Math.floor(rng() * ACTIONS.length)]!,
      value: Math.round(rng() * 1e6) / 1e4,
      tags,
    };
    chunk.push(JSON.stringify(record));
    if (chunk.length === 10_000 || i === n - 1) {
      if (!out.write(`${chunk.join("\n")}\n`)) {
        await new Promise<void>((resolve) => out.once("drain", resolve));
      }
      chunk.length = 0;
    }
  }
  out.end();
  await done;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [dir, rows, files] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: node dist/bench/events-data.js <dir> [rows] [files]");
    process.exit(2);
  }
  const data = await generateEvents(dir, {
    ...(rows ? { rows: Number(rows) } : {}),
    ...(files ? { files: Number(files) } : {}),
  });
  console.log(JSON.stringify(data));
}
