// Array helpers for asynchronous callbacks, run one after the other (in order: the callbacks may read or write the
// database). Array.prototype.filter/find/some/every would see a promise, which is always truthy.
export async function mapSeq<T, U>(xs: readonly T[], f: (x: T, i: number) => U | Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(await f(xs[i]!, i));
  return out;
}

export async function filterSeq<T>(xs: readonly T[], f: (x: T, i: number) => boolean | Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < xs.length; i++) if (await f(xs[i]!, i)) out.push(xs[i]!);
  return out;
}

export async function findSeq<T>(xs: readonly T[], f: (x: T, i: number) => boolean | Promise<boolean>): Promise<T | undefined> {
  for (let i = 0; i < xs.length; i++) if (await f(xs[i]!, i)) return xs[i];
  return undefined;
}

export async function everySeq<T>(xs: readonly T[], f: (x: T, i: number) => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < xs.length; i++) if (!(await f(xs[i]!, i))) return false;
  return true;
}

export async function someSeq<T>(xs: readonly T[], f: (x: T, i: number) => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < xs.length; i++) if (await f(xs[i]!, i)) return true;
  return false;
}

export async function flatMapSeq<T, U>(xs: readonly T[], f: (x: T, i: number) => U[] | Promise<U[]>): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(...(await f(xs[i]!, i)));
  return out;
}
