/**
 * Task groups (dask's `key_split`): the name shared by all tasks made by one call site, such as
 * "inc" for "inc-1a2b3c4d" and "inc-9f8e7d6c". Durations are learned and the dashboard groups
 * by it, so it must strip the unique part of a key and keep the name.
 */
import type { Key } from "./spec.js";

/** A tuple-like key, "('x', 3)" or '["x", 3]': the group is its first, quoted element. */
const TUPLE = /^[([]\s*(['"])(.*?)\1/;
const NAME_WORD = /^[A-Za-z_]+$/;
const HEX = /^[0-9a-f]+$/i;

/**
 * The group of `key`: its first "-"-separated word, followed by the next words as long as they
 * read as name words (letters and "_" only, and not a hex token of 8 or more digits). So
 * "inc-1a2b3c" -> "inc", "x-3" -> "x", "read-csv-0c1d2e3f4a5b6c7d" -> "read-csv",
 * "('x', 3)" -> "x".
 */
export function keyGroup(key: Key): string {
  const tuple = TUPLE.exec(key);
  const name = tuple === null ? key : tuple[2]!;
  const words = name.split("-");
  let group = words[0]!;
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (!isNameWord(word)) break;
    group += `-${word}`;
  }
  return group;
}

function isNameWord(word: string): boolean {
  return NAME_WORD.test(word) && !(word.length >= 8 && HEX.test(word));
}
