/**
 * A token bucket (pure: time is passed in) for latest kcptun's `--ratelimit`: `rate` bytes per
 * second per KCP session, bursts up to `burst` bytes (kcptun: 64 × 1500).
 *
 * @module
 */

/** kcptun's burst: 64 full-size packets. */
export const RATELIMIT_BURST = 64 * 1500;

/** Bytes-per-second limiter. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  /** `rate` in bytes/s (> 0), `burst` in bytes; starts full at time `now` (ms). */
  constructor(rate: number, now: number, burst = RATELIMIT_BURST) {
    if (!(rate > 0)) throw new RangeError(`Rate must be > 0 bytes/s, got ${rate}`);
    this.#rate = rate;
    this.#burst = Math.max(burst, 1);
    this.#tokens = this.#burst;
    this.#last = now;
  }

  #refill(now: number): void {
    const dt = now - this.#last;
    if (dt > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + dt * this.#rate / 1000);
      this.#last = now;
    }
  }

  /** Takes `bytes` if available now; returns whether it did. */
  take(bytes: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Time (ms) at which `bytes` will be available. */
  availableAt(bytes: number, now: number): number {
    this.#refill(now);
    if (this.#tokens >= bytes) return now;
    return now + (bytes - this.#tokens) * 1000 / this.#rate;
  }
}
