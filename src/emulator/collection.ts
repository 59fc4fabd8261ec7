/**
 * Records under a key, with each sort order a list asks for computed once and kept until the
 * records change: an unfiltered page then costs the page, not a sort of the whole collection.
 */
/** How two records order: negative, zero or positive, as `Array.prototype.sort` takes it. */
export type Comparator<T> = (a: T, b: T) => number;

export interface ReadonlyCollection<T> {
  readonly size: number;
  get(key: string): T | undefined;
  has(key: string): boolean;
  values(): IterableIterator<T>;
  /** All records in `compare` order. The array is shared: do not change it. */
  sorted(compare: Comparator<T>): readonly T[];
}

export class Collection<T> implements ReadonlyCollection<T> {
  private readonly byKey = new Map<string, T>();
  /** Keyed by comparator identity, so two orders can never share an entry. */
  private readonly orders = new Map<Comparator<T>, readonly T[]>();

  constructor(private readonly keyOf: (item: T) => string) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  values(): IterableIterator<T> {
    return this.byKey.values();
  }

  add(item: T): void {
    this.byKey.set(this.keyOf(item), item);
    this.orders.clear();
  }

  delete(key: string): boolean {
    const deleted = this.byKey.delete(key);
    if (deleted) this.orders.clear();
    return deleted;
  }

  clear(): void {
    this.byKey.clear();
    this.orders.clear();
  }

  sorted(compare: Comparator<T>): readonly T[] {
    let order = this.orders.get(compare);
    if (order === undefined) {
      order = [...this.byKey.values()].sort(compare);
      this.orders.set(compare, order);
    }
    return order;
  }
}
