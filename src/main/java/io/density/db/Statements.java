package io.density.db;

/** The statement of the schema runner: whether TimescaleDB is installed but not preloaded. */
final class Statements {
  private Statements() {}

  /**
   * Whether TimescaleDB is installed on the server but cannot be used, because it is not in
   * shared_preload_libraries: the schema then uses plain partitions.
   */
  static final String TIMESCALE_NOT_PRELOADED =
      """
      SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
             AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
             AS not_preloaded
      """;
}
