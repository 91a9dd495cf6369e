package io.eventworker.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Each chaos class rewrites only its own rows of the kept report's table. */
@Tag("unit")
class ChaosReportTest {

  private static final String DOC =
      """
      # Report

      | scenario | events |
      |---|---:|
      | 1. kill -9 | 10 |
      | 7. failover, old | 5 |

      - notes
      """;

  @Test
  void replacesOnlyTheRowsWithThePrefixAndKeepsTheRest() {
    String updated =
        ChaosReport.replaceRows(DOC, "| 7. ", List.of("| 7. failover, a | 1 |", "| 7. b | 2 |"));
    assertEquals(
        """
        # Report

        | scenario | events |
        |---|---:|
        | 1. kill -9 | 10 |
        | 7. failover, a | 1 |
        | 7. b | 2 |

        - notes
        """,
        updated);
    assertEquals(
        List.of("| 7. failover, a | 1 |", "| 7. b | 2 |"), ChaosReport.rows(updated, "| 7. "));
  }

  @Test
  void aReportOfTheSixScenariosKeepsTheFailoverRowsItIsGiven() {
    String sixOnly = DOC.replace("| 7. failover, old | 5 |\n", "");
    assertEquals(DOC, ChaosReport.replaceRows(sixOnly, "| 7. ", ChaosReport.rows(DOC, "| 7. ")));
  }

  @Test
  void aDocumentWithoutTheTableIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ChaosReport.replaceRows("# nothing\n", "| 7. ", List.of()));
  }
}
