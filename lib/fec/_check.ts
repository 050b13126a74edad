/**
 * Shard-count validation shared by the Reed-Solomon codec and the FEC encoder/decoder.
 *
 * @module
 */

/** Most shards (data + parity) a GF(2^8) Vandermonde code can have. */
export const MAX_TOTAL_SHARDS = 256;

/**
 * Validate a (dataShards, parityShards) pair: both positive integers, sum at most 256
 * (klauspost's `New` switches to another code above 256, which kcp-go never uses).
 *
 * @throws {RangeError} With a message naming the offending value.
 */
export function checkShardCounts(dataShards: number, parityShards: number): void {
  if (!Number.isInteger(dataShards) || dataShards < 1 || dataShards > MAX_TOTAL_SHARDS - 1) {
    throw new RangeError(`Data shards must be 1..255, got ${dataShards}`);
  }
  if (!Number.isInteger(parityShards) || parityShards < 1 || parityShards > MAX_TOTAL_SHARDS - 1) {
    throw new RangeError(`Parity shards must be 1..255, got ${parityShards}`);
  }
  if (dataShards + parityShards > MAX_TOTAL_SHARDS) {
    throw new RangeError(
      `Data shards plus parity shards must be at most 256, got ${dataShards + parityShards}`,
    );
  }
}
