package io.eventworker.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.util.zip.CRC32;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Migration 1: the schema of the original system description ("seed" in names that databases
 * already record), executed from {@code database/init.sql} (packaged as {@code db/seed/init.sql})
 * so that the file stays the single copy of it. A database that was created by init.sql is
 * baselined at this version instead. The class name is Flyway's naming convention.
 */
@SuppressWarnings("checkstyle:TypeName")
public final class V1__Seed_schema extends BaseJavaMigration {

  static final String SCRIPT = "/db/seed/init.sql";

  @Override
  public void migrate(Context context) throws Exception {
    try (Statement statement = context.getConnection().createStatement()) {
      statement.execute(script());
    }
  }

  /** A checksum of the script, so that Flyway's validation notices if init.sql is edited. */
  @Override
  public Integer getChecksum() {
    CRC32 crc = new CRC32();
    crc.update(script().getBytes(StandardCharsets.UTF_8));
    return (int) crc.getValue();
  }

  private static String script() {
    try (InputStream in = V1__Seed_schema.class.getResourceAsStream(SCRIPT)) {
      if (in == null) {
        throw new IllegalStateException(SCRIPT + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + SCRIPT, e);
    }
  }
}
