/** The peer's worker file: the same tiny functions Barn runs, for piscina. */
export function inc(x: number): number {
  return x + 1;
}

export function add([a, b]: [number, number]): number {
  return a + b;
}

export default inc;
