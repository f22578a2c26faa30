/**
 * Values the `kafka` project's global setup (scripts/vitest/kafka-broker.ts) provides to tests:
 * read them with `inject("kafkaBrokers")` and `inject("kafkaDataDir")`.
 */
declare module "vitest" {
  export interface ProvidedContext {
    /** Bootstrap address of the shared test broker, `127.0.0.1:PORT`. */
    kafkaBrokers: string;
    /** Data directory of the shared test broker (removed after the run). */
    kafkaDataDir: string;
  }
}

export {};
