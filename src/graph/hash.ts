/**
 * A 64-bit streaming hash built from two independent 32-bit hashes over 16-bit units: FNV-1a
 * and a MurmurHash3-style mix with a different seed, each finalised with murmur's avalanche.
 * Not cryptographic; it names content (pure task keys), where only accidental collisions
 * matter. Pure integer arithmetic, so every platform gives the same digest.
 */
export class Hasher {
  /** FNV-1a state. */
  private h1 = 0x811c9dc5;
  /** Murmur-style state; a separate seed and mixing keep it independent of h1. */
  private h2 = 0x9747b28c;
  /** Units fed so far; mixed into the digest so that length is part of the hash. */
  private count = 0;

  /** Feed one unit (0..0xffff, or a byte). */
  unit(c: number): void {
    this.h1 = Math.imul(this.h1 ^ c, 0x01000193);
    let k = Math.imul(c, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = this.h2 ^ k;
    h = (h << 13) | (h >>> 19);
    this.h2 = (Math.imul(h, 5) + 0xe6546b64) | 0;
    this.count++;
  }

  /** Feed a string's UTF-16 code units. Callers length-prefix or terminate it. */
  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.unit(s.charCodeAt(i));
  }

  /** Feed bytes. */
  bytes(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) this.unit(b[i]!);
  }

  /** 16 lowercase hex digits. The hasher may keep being fed afterwards. */
  digest(): string {
    return hex8(fmix32(this.h1 ^ this.count)) + hex8(fmix32(this.h2 ^ this.count));
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}
