/**
 * Private growable ring buffer (FIFO with random access) used for the KCP send queue, send
 * buffer and receive queue. Capacity is a power of two and only ever doubles, so steady-state
 * use allocates nothing.
 *
 * @module
 */

/** Initial capacity (a power of two). */
const INITIAL_CAPACITY = 16;

/** FIFO of `T` with O(1) push/shift at the ends and O(1) indexed access. */
export class Ring<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  constructor() {
    this.#items = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
    this.#mask = INITIAL_CAPACITY - 1;
  }

  /** Number of items held. */
  get size(): number {
    return this.#size;
  }

  /** Item `i` (0 = oldest). `i` must be in `[0, size)`. */
  at(i: number): T {
    return this.#items[(this.#head + i) & this.#mask] as T;
  }

  /** The oldest item; the ring must not be empty. */
  first(): T {
    return this.#items[this.#head] as T;
  }

  /** The newest item; the ring must not be empty. */
  last(): T {
    return this.#items[(this.#head + this.#size - 1) & this.#mask] as T;
  }

  /** Append at the tail, doubling the capacity when full. */
  push(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** Remove and return the oldest item; the ring must not be empty. */
  shift(): T {
    const items = this.#items;
    const item = items[this.#head] as T;
    items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  #grow(): void {
    const old = this.#items;
    const cap = old.length * 2;
    const items = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.#size; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = cap - 1;
    this.#head = 0;
  }
}
