/**
 * The error thrown for every usage mistake found while reading flags, the
 * environment or a `-c` JSON file. The CLI maps it to exit code 2.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./_error.ts";
 * const error = new ConfigError('Invalid value "9000" for --mtu: must be 50..1500');
 * if (error.name !== "ConfigError") throw new Error("unexpected name");
 * ```
 */
export class ConfigError extends Error {
  /**
   * Creates a usage error.
   * @param message Sentence-case message that names the flag or key and quotes the value.
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
