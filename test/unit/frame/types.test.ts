/**
 * Compile-time types of typed frames: agg specs and outputs, withColumns outputs, merge keys and
 * the merged row, and file readers' row types. Each `@ts-expect-error` must fire (tsc fails the
 * build when an expected error does not occur), each `Expect<Equal<...>>` must hold, and the
 * runtime checks compare the promised types with what the frames compute.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as bf from "../../../src/frame.js";
import { BarnError } from "../../../src/index.js";

/** Exactly equal types (not merely assignable either way). */
type Equal<X, Y> =
  (<V>() => V extends X ? 1 : 2) extends <V>() => V extends Y ? 1 : 2 ? true : false;
/** Compiles only when `T` is true. */
function expectType<_T extends true>(): void {}
/** The row type of a frame. */
type RowOf<F> = F extends bf.DataFrame<infer S> ? S : never;

const sync = { scheduler: "sync" } as const;

type Sale = {
  id: bigint;
  shop: string;
  qty: number | null;
  price: number;
  ok: boolean;
  at: Date;
};
const sales: Sale[] = [
  { id: 1n, shop: "n", qty: 3, price: 2.5, ok: true, at: new Date(Date.UTC(2024, 0, 1)) },
  { id: 2n, shop: "s", qty: null, price: 3, ok: false, at: new Date(Date.UTC(2024, 1, 1)) },
  { id: 3n, shop: "n", qty: 2, price: 3, ok: true, at: new Date(Date.UTC(2024, 2, 1)) },
];
const df = bf.fromRecords<Sale>(sales, { npartitions: 2 });

/** The JS type name of each value of each row (bigint, number, string, object for Date, null). */
function kinds(rows: readonly Record<string, unknown>[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      (out[k] ??= new Set()).add(v === null ? "null" : v instanceof Date ? "Date" : typeof v);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, s]) => [k, [...s].sort()]));
}

describe("typed agg", () => {
  const g = df.groupby("shop");
  const out = g.agg({
    qty: ["mean", "count", "max"],
    id: "sum",
    price: "min",
    ok: "sum",
    shop2: ["shop", "nunique"],
    at: "last",
    spread: { column: "price", fn: "std" },
    rows: "size",
    n: ["whatever", "size"],
  });
  type Out = RowOf<typeof out>;

  test("output names and types follow the spec", async () => {
    expectType<
      Equal<
        Out,
        {
          shop: string;
          qty_mean: number | null;
          qty_count: number;
          qty_max: number | null;
          id: bigint;
          price: number;
          ok: number;
          shop2: number;
          at: Date;
          spread: number | null;
          rows: number;
          n: number;
        }
      >
    >();
    const rows = await out.sortValues("shop").toRecords(sync);
    assert.deepEqual(out.columns, [
      "shop",
      "qty_mean",
      "qty_count",
      "qty_max",
      "id",
      "price",
      "ok",
      "shop2",
      "at",
      "spread",
      "rows",
      "n",
    ]);
    // What the types promise is what the rows hold.
    assert.deepEqual(kinds(rows), {
      shop: ["string"],
      qty_mean: ["null", "number"],
      qty_count: ["number"],
      qty_max: ["null", "number"],
      id: ["bigint"],
      price: ["number"],
      ok: ["number"],
      shop2: ["number"],
      at: ["Date"],
      spread: ["null", "number"],
      rows: ["number"],
      n: ["number"],
    });
    const first: bigint = rows[0]!.id;
    assert.equal(first, 4n);
    assert.equal(rows[0]!.qty_max, 3);
    assert.equal(rows[1]!.qty_mean, null);
  });

  test("keys and aggregations are checked against the frame", () => {
    const typos = [
      // @ts-expect-error "scroe" is not a column (only a named output or "size" may take any name)
      () => g.agg({ scroe: "sum" }),
      // @ts-expect-error a list under a key that is not a column
      () => g.agg({ qtty: ["min", "max"] }),
      // @ts-expect-error a named output over a column the frame lacks
      () => g.agg({ out: ["prise", "mean"] }),
      // @ts-expect-error the object form is checked too
      () => g.agg({ out: { column: "prise", fn: "mean" } }),
      // @ts-expect-error no mean of a string column
      () => g.agg({ shop: "mean" }),
      // @ts-expect-error no sum of dates, in a list
      () => g.agg({ at: ["min", "sum"] }),
      // @ts-expect-error nor as a named output
      () => g.agg({ total: ["shop", "sum"] }),
      // @ts-expect-error an unknown aggregation
      () => g.agg({ qty: "mode" }),
    ];
    // The run-time checks agree (the compile-time ones are a first line).
    for (const t of typos) assert.throws(t, BarnError);
    // @ts-expect-error a list of functions names its outputs column_fn
    assert.throws(() => out.select("qty"), BarnError);
    // @ts-expect-error the output's columns only
    assert.throws(() => out.select("qty_sum"), BarnError);
  });

  test("median and quantile are float64 outputs of numeric columns, in every form", async () => {
    const q = g.agg({
      price: "median",
      qty: ["quantile", 0.5],
      p90: ["price", "quantile", 0.9],
      p10: { column: "price", fn: "quantile", q: 0.1 },
    });
    expectType<
      Equal<
        RowOf<typeof q>,
        {
          shop: string;
          price: number | null;
          qty: number | null;
          p90: number | null;
          p10: number | null;
        }
      >
    >();
    const whole = df.agg({ m: ["price", "quantile", 0.5] });
    expectType<Equal<RowOf<typeof whole>, { m: number | null }>>();
    const rows = await q.toRecords(sync);
    assert.deepEqual(kinds(rows).qty, ["null", "number"]);
    assert.throws(
      // @ts-expect-error no median of a string column
      () => g.agg({ id: "sum", shop2: ["shop", "median"] }),
      BarnError,
    );
    // @ts-expect-error nor a quantile of dates
    assert.throws(() => g.agg({ at: ["quantile", 0.5] }), BarnError);
  });

  test("group keys keep their types, and size() is typed", () => {
    const s = df.groupby(["shop", "ok"]).size();
    expectType<Equal<RowOf<typeof s>, { shop: string; ok: boolean; size: number }>>();
    assert.deepEqual(s.columns, ["shop", "ok", "size"]);
  });

  test("an untyped frame compiles any name and aggregation (checked when built)", () => {
    const u = df.untyped();
    assert.throws(() => u.groupby("shop").agg({ anything: "mean", qty: "sum" }), BarnError);
    // Its output names are known from the spec all the same.
    const out = u.groupby("shop").agg({ n: "size", qty: ["sum", "max"] });
    expectType<Equal<keyof RowOf<typeof out>, "shop" | "n" | "qty_sum" | "qty_max">>();
  });
});

describe("typed withColumns", () => {
  const wc = df.withColumns({
    revenue: bf.col("qty").mul(bf.col("price")),
    next: bf.col("id").add(1),
    half: bf.col("id").div(2),
    mixed: bf.col("id").add(bf.col("price")),
    big: bf.col("price").gt(2.5),
    month: bf.col("at").dt.month(),
    upper: bf.col("shop").str.upper(),
    len: df.col("shop").str.length(),
    filled: bf.col("qty").fillNull(0),
    label: bf.when(bf.col("qty").gt(2)).then("many").otherwise(bf.lit(null)),
    asInt: bf.col("price").cast("int64"),
    seen: bf.col("qty").isNull(),
    one: 1,
    tag: "x",
    price: bf.col("price").mul(2),
  });

  test("each new column is typed by its expression", async () => {
    expectType<
      Equal<
        RowOf<typeof wc>,
        {
          id: bigint;
          shop: string;
          qty: number | null;
          ok: boolean;
          at: Date;
          revenue: number | null;
          next: bigint;
          half: number;
          mixed: number | bigint;
          big: boolean;
          month: number;
          upper: string;
          len: number;
          filled: number;
          label: string | null;
          asInt: bigint;
          seen: boolean;
          one: number;
          tag: string;
          price: number;
        }
      >
    >();
    const rows = await wc.toRecords(sync);
    const k = kinds(rows);
    assert.deepEqual(k.revenue, ["null", "number"]);
    assert.deepEqual(k.next, ["bigint"]);
    assert.deepEqual(k.half, ["number"]);
    assert.deepEqual(k.mixed, ["number"]); // int64 + float64 is float64
    assert.deepEqual(k.asInt, ["bigint"]);
    assert.deepEqual(k.label, ["null", "string"]);
    assert.deepEqual(k.filled, ["number"]);
    const next: bigint = rows[0]!.next;
    assert.equal(next, 2n);
  });

  test("new columns can be used by later verbs; typos cannot", () => {
    assert.deepEqual(wc.select("revenue", "next").columns, ["revenue", "next"]);
    assert.ok(wc.groupby("upper").agg({ revenue: "sum", next: "max" }));
    // @ts-expect-error an expression over a column the frame lacks
    assert.throws(() => df.withColumns({ z: bf.col("qtty").add(1) }));
    // @ts-expect-error no mean of a string column made by withColumns
    assert.throws(() => wc.groupby("shop").agg({ upper: "mean" }));
  });
});

describe("typed fillNull", () => {
  test("a filled column is no longer nullable; keys are columns", async () => {
    const f = df.fillNull({ qty: 0 });
    expectType<Equal<RowOf<typeof f>["qty"], number>>();
    const kept = df.fillNull({ qty: null });
    expectType<Equal<RowOf<typeof kept>["qty"], number | null>>();
    assert.deepEqual(kinds(await f.toRecords(sync)).qty, ["number"]);
    // @ts-expect-error "qtty" is not a column
    assert.throws(() => df.fillNull({ qtty: 0 }), BarnError);
  });
});

describe("typed merge", () => {
  type Shop = { shop: string; region: string; price: number };
  const shops = bf.fromRecords<Shop>([
    { shop: "n", region: "North", price: 1 },
    { shop: "w", region: "West", price: 2 },
  ]);
  const narrow = df.select("id", "shop", "qty");

  test("inner: a key of the same name appears once; a clashing name takes the suffix", async () => {
    const j = df.merge(shops, { on: "shop" });
    expectType<
      Equal<
        RowOf<typeof j>,
        {
          id: bigint;
          shop: string;
          qty: number | null;
          price: number;
          ok: boolean;
          at: Date;
          region: string;
          price_right: number;
        }
      >
    >();
    const rows = await j.toRecords(sync);
    assert.deepEqual(j.columns, [
      "id",
      "shop",
      "qty",
      "price",
      "ok",
      "at",
      "region",
      "price_right",
    ]);
    assert.equal(rows.length, 2);
    const k = kinds(rows);
    assert.deepEqual(k.price_right, ["number"]);
    assert.deepEqual(k.id, ["bigint"]);
  });

  test("left, right and outer joins make the missing side nullable", async () => {
    const left = narrow.merge(shops, { on: "shop", how: "left", suffix: "_s" });
    expectType<
      Equal<
        RowOf<typeof left>,
        {
          id: bigint;
          shop: string;
          qty: number | null;
          region: string | null;
          price: number | null;
        }
      >
    >();
    const right = narrow.merge(shops, { on: ["shop"], how: "right" });
    expectType<
      Equal<
        RowOf<typeof right>,
        { id: bigint | null; shop: string; qty: number | null; region: string; price: number }
      >
    >();
    const outer = narrow.merge(shops.rename({ shop: "name" }), {
      leftOn: "shop",
      rightOn: "name",
      how: "outer",
    });
    expectType<
      Equal<
        RowOf<typeof outer>,
        {
          id: bigint | null;
          shop: string | null;
          qty: number | null;
          name: string | null;
          region: string | null;
          price: number | null;
        }
      >
    >();
    const [l, r, o] = await Promise.all([
      left.toRecords(sync),
      right.toRecords(sync),
      outer.toRecords(sync),
    ]);
    assert.ok(l.some((x) => x.region === null));
    assert.ok(r.some((x) => x.id === null));
    assert.ok(o.some((x) => x.shop === null) && o.some((x) => x.name === null));
    assert.deepEqual(outer.columns, ["id", "shop", "qty", "name", "region", "price"]);
  });

  test("a repeated clash takes the suffix again; key pairs of different types join as numbers", async () => {
    const j = df
      .select("id", "shop", "price")
      .withColumns({ price_s: 0 })
      .merge(shops, { on: "shop", suffix: "_s" });
    expectType<
      Equal<
        RowOf<typeof j>,
        {
          id: bigint;
          shop: string;
          price: number;
          price_s: number;
          region: string;
          price_s_s: number;
        }
      >
    >();
    assert.deepEqual(j.columns, ["id", "shop", "price", "price_s", "region", "price_s_s"]);
    const codes = bf.fromRecords([{ k: 1, shop: "n", code: "a" }]);
    const two = df
      .select("id", "shop")
      .merge(codes, { leftOn: ["id", "shop"], rightOn: ["k", "shop"] });
    expectType<Equal<RowOf<typeof two>, { id: number; shop: string; k: number; code: string }>>();
    const rows = await two.toRecords(sync);
    assert.deepEqual(rows, [{ id: 1, shop: "n", k: 1, code: "a" }]);
  });

  test("keys must be columns of their side", () => {
    const typos = [
      // @ts-expect-error "idd" is a column of neither side
      () => df.merge(shops, { on: "idd" }),
      // @ts-expect-error "id" is not a column of the right side
      () => df.merge(shops, { on: "id" }),
      // @ts-expect-error leftOn names a left column
      () => df.merge(shops, { leftOn: "region", rightOn: "shop" }),
      // @ts-expect-error rightOn names a right column
      () => df.merge(shops, { leftOn: "shop", rightOn: ["shopp"] }),
      // @ts-expect-error how is one of inner, left, right, outer
      () => df.merge(shops, { on: "shop", how: "cross" }),
    ];
    for (const t of typos) assert.throws(t);
  });

  test("an untyped side keeps any key name", () => {
    const u = df.untyped().merge(shops.untyped(), { on: "shop" });
    expectType<Equal<RowOf<typeof u>, bf.Row>>();
    assert.throws(() => u.select("anything"), BarnError);
  });
});

describe("typed readers", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "barn-frame-types-"));
    writeFileSync(join(dir, "a.csv"), "id,s,x,d\n1,a,0.5,2024-01-02\n2,,1.5,2024-02-03\n");
    writeFileSync(join(dir, "a.jsonl"), '{"id":1,"s":"a"}\n{"id":2,"s":null}\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a row type given to the reader types the frame", async () => {
    const csv = bf.readCsv<{ id: number; s: string | null; x: number; d: Date }>(
      join(dir, "a.csv"),
    );
    expectType<Equal<RowOf<typeof csv>, { id: number; s: string | null; x: number; d: Date }>>();
    // @ts-expect-error "idd" is not a column
    assert.throws(() => csv.select("idd"));
    const rows = await csv.toRecords(sync);
    assert.deepEqual(kinds(rows), {
      id: ["number"],
      s: ["null", "string"],
      x: ["number"],
      d: ["Date"],
    });
    await bf.fromRecords([{ id: 1, s: "a" }]).toParquet(join(dir, "pq"), sync);
    const pq = bf.readParquet<{ id: number; s: string }>(join(dir, "pq"));
    expectType<Equal<RowOf<typeof pq>, { id: number; s: string }>>();
    assert.deepEqual(await pq.toRecords(sync), [{ id: 1, s: "a" }]);
  });

  test("a schema option types its columns, with the values the reader gives", async () => {
    const csv = bf.readCsv(join(dir, "a.csv"), {
      schema: { id: "int64", s: "utf8", x: "float64", d: "date" },
    });
    type S = RowOf<typeof csv>;
    expectType<Equal<S["id"], bigint | null>>();
    expectType<Equal<S["s"], string | null>>();
    expectType<Equal<S["d"], Date | null>>();
    // The schema overrides some columns' types; the files may hold more, so other names pass.
    assert.ok(csv.select("id", "x"));
    const rows = await csv.toRecords(sync);
    assert.deepEqual(kinds(rows), {
      id: ["bigint"],
      s: ["null", "string"],
      x: ["number"],
      d: ["Date"],
    });
    const id: bigint | null = rows[0]!.id;
    assert.equal(id, 1n);
    const sum = csv.groupby("s").agg({ id: "sum" });
    expectType<Equal<RowOf<typeof sum>["id"], bigint | null>>();
  });

  test("a columns list gives exactly those columns", async () => {
    const js = bf.readJson(join(dir, "a.jsonl"), { columns: ["id"], schema: { id: "int64" } });
    expectType<Equal<RowOf<typeof js>, { id: bigint | null }>>();
    // @ts-expect-error "s" was not read
    assert.throws(() => js.select("s"));
    const csv = bf.readCsv(join(dir, "a.csv"), { columns: ["s", "x"] });
    expectType<Equal<RowOf<typeof csv>, { s: unknown; x: unknown }>>();
    assert.deepEqual(await js.toRecords(sync), [{ id: 1n }, { id: 2n }]);
  });

  test("without a type, a reader's frame is untyped", () => {
    const csv = bf.readCsv(join(dir, "a.csv"));
    expectType<Equal<RowOf<typeof csv>, bf.Row>>();
    assert.throws(() => csv.select("anything"));
  });
});
