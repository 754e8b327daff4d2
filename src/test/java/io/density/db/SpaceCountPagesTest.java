package io.density.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.support.TestServer;
import io.vertx.sqlclient.Row;
import java.util.Map;
import java.util.TreeMap;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * space_count's pages keep room for the corrections of out-of-order arrival (fillfactor 80, so that
 * a corrected row's new version stays on its page and adds no index entry): the partitions of a
 * database upgraded from before, and those made after, while the raw log's pages stay full.
 */
@DisplayName("space_count's partitions leave room on their pages for corrections")
class SpaceCountPagesTest {
  private TestServer database;

  @BeforeEach
  void database() {
    database = new TestServer();
  }

  @AfterEach
  void drop() {
    database.close();
  }

  /** Each partition of datapoint and space_count, with its fillfactor ("" when the default). */
  private Map<String, String> fillfactors() {
    Map<String, String> found = new TreeMap<>();
    for (Row r :
        database.rows(
            """
            SELECT c.relname,
                   coalesce(substring(array_to_string(c.reloptions, ',')
                                      FROM 'fillfactor=(\\d+)'), '') AS fillfactor
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent IN ('datapoint'::regclass, 'space_count'::regclass)
            """)) {
      found.put(r.getString("relname"), r.getString("fillfactor"));
    }
    return found;
  }

  @Test
  @DisplayName("an upgrade sets it on the partitions there are; partitions made later have it")
  void upgradeAndLater() throws Exception {
    // A database of the release before: its schema, and the partitions of a month it stored.
    Schema.Jdbc jdbc = Schema.Jdbc.of(database.config.postgres().url());
    Flyway.configure(Schema.class.getClassLoader())
        .dataSource(jdbc.url(), jdbc.user(), jdbc.password())
        .locations("classpath:sql")
        .table(Schema.HISTORY)
        .placeholderReplacement(false)
        .target("11")
        .load()
        .migrate();
    database.rows("SELECT density_ensure_partitions(ARRAY['2026-11-01'::date])");
    assertEquals(
        Map.of("datapoint_y2026m11", "", "space_count_y2026m11", ""),
        fillfactors(),
        "before the upgrade, every page is filled");

    Schema.migrate(database.config.postgres());
    database.rows("SELECT density_ensure_partitions(ARRAY['2026-12-01'::date])");

    assertEquals(
        Map.of(
            "datapoint_y2026m11", "",
            "datapoint_y2026m12", "",
            "space_count_y2026m11", "80",
            "space_count_y2026m12", "80"),
        fillfactors());
  }
}
