package io.eventworker.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.console.ConsoleView.TypeRow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ConsoleViewTest {

  @Test
  void theLargestTypesHaveLinesAndTheRestOneBetweenThem() {
    List<TypeRow> rows = new ArrayList<>();
    for (int i = 0; i < ConsoleView.TYPES_SHOWN + 3; i++) {
      // type-00 has the fewest events, type-52 the most.
      rows.add(new TypeRow(String.format("type-%02d", i), i, 1, 0, i == 1 ? 99.0 : null, 5.0 + i));
    }
    List<TypeRow> shown = ConsoleView.largest(rows);
    assertEquals(ConsoleView.TYPES_SHOWN + 1, shown.size());
    assertEquals("type-03", shown.get(0).eventType());
    assertEquals("type-52", shown.get(ConsoleView.TYPES_SHOWN - 1).eventType());
    assertEquals(
        new TypeRow("(3 other types)", 0 + 1 + 2, 3, 0, 99.0, 5.0),
        shown.get(ConsoleView.TYPES_SHOWN));
    assertEquals(rows.subList(0, 10), ConsoleView.largest(rows.subList(0, 10)));
  }
}
