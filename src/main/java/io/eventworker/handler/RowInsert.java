package io.eventworker.handler;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An INSERT into one table, fed column by column through {@code unnest}, so that any number of rows
 * go to PostgreSQL as a single prepared statement. Declare one as a constant per target table:
 *
 * <pre>{@code
 * static final RowInsert AUDIT = RowInsert.into("audit_log")
 *     .column("user_id", "int4").column("action", "text").build();
 * }</pre>
 */
public final class RowInsert {

  private static final Pattern IDENTIFIER =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
  private static final Set<String> TYPES =
      Set.of(
          "int2",
          "int4",
          "int8",
          "integer",
          "bigint",
          "smallint",
          "numeric",
          "float4",
          "float8",
          "real",
          "double precision",
          "bool",
          "boolean",
          "text",
          "varchar",
          "jsonb",
          "json",
          "uuid",
          "date",
          "timestamp",
          "timestamptz");

  private final String table;
  private final List<String> columns;
  private final String sql;

  private RowInsert(String table, List<String> columns, List<String> types) {
    this.table = table;
    this.columns = List.copyOf(columns);
    StringBuilder unnest = new StringBuilder();
    for (int i = 0; i < types.size(); i++) {
      // Every column travels as text[] and is cast by PostgreSQL: one fixed parameter type per
      // column, so the statement is prepared once per connection and reused for every batch.
      unnest.append(i == 0 ? "" : ", ").append("?::text[]::").append(types.get(i)).append("[]");
    }
    this.sql =
        "INSERT INTO "
            + table
            + " ("
            + String.join(", ", columns)
            + ")\n"
            + "SELECT * FROM unnest("
            + unnest
            + ")";
  }

  /** Starts an insert into {@code table} (optionally schema-qualified). */
  public static Builder into(String table) {
    return new Builder(table);
  }

  public String table() {
    return table;
  }

  public int columnCount() {
    return columns.size();
  }

  /** The statement; its parameters are one text array per column. */
  public String sql() {
    return sql;
  }

  /** The text form PostgreSQL reads for one value, or null for SQL NULL. */
  public static String toText(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof BigDecimal d) {
      return d.toString();
    }
    if (value instanceof JsonNode json) {
      return json.isNull() || json.isMissingNode() ? null : json.toString();
    }
    if (value instanceof Number
        || value instanceof Boolean
        || value instanceof TemporalAccessor
        || value instanceof java.util.UUID) {
      return value.toString();
    }
    throw new IllegalArgumentException(
        "cannot write a "
            + value.getClass().getName()
            + "; use a String, Number, Boolean,"
            + " JsonNode, UUID or java.time value");
  }

  @Override
  public String toString() {
    return "RowInsert[" + table + columns + "]";
  }

  /** Collects the columns of a {@link RowInsert}. */
  public static final class Builder {
    private final String table;
    private final List<String> columns = new ArrayList<>();
    private final List<String> types = new ArrayList<>();

    private Builder(String table) {
      this.table = checkIdentifier(table);
    }

    /**
     * Adds a column and its PostgreSQL type, such as {@code int4}, {@code text} or {@code jsonb}.
     */
    public Builder column(String name, String type) {
      columns.add(checkIdentifier(name));
      String normalized = type.trim().toLowerCase(java.util.Locale.ROOT);
      if (!TYPES.contains(normalized)) {
        throw new IllegalArgumentException(
            "unsupported column type '" + type + "', use one of " + TYPES);
      }
      types.add(normalized);
      return this;
    }

    public RowInsert build() {
      if (columns.isEmpty()) {
        throw new IllegalStateException("an insert into " + table + " needs at least one column");
      }
      return new RowInsert(table, columns, types);
    }

    private static String checkIdentifier(String name) {
      if (name == null || !IDENTIFIER.matcher(name).matches()) {
        throw new IllegalArgumentException("not a plain SQL identifier: " + name);
      }
      return name;
    }
  }
}
