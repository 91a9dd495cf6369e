package io.eventworker.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Cli;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The help a new user reads first: whole sentences, not lines cut where the source broke them. */
@Tag("unit")
class HelpTextTest {

  @Test
  void everyCommandSummaryIsAWholeSentence() {
    String help = Cli.run(Map.of(), "--help").out();
    List<String> summaries = new ArrayList<>();
    boolean inCommands = false;
    for (String line : help.lines().toList()) {
      if (line.equals("Commands:")) {
        inCommands = true;
      } else if (inCommands && line.isBlank()) {
        break;
      } else if (inCommands && line.startsWith("  ") && !line.startsWith("   ")) {
        summaries.add(line.trim());
      } else if (inCommands) {
        summaries.set(
            summaries.size() - 1, summaries.get(summaries.size() - 1) + " " + line.trim());
      }
    }
    assertTrue(summaries.size() >= 6, help);
    for (String summary : summaries) {
      assertTrue(summary.endsWith("."), "cut mid-sentence: " + summary);
    }
  }

  @Test
  void aCommandsDescriptionIsWrappedAsParagraphs() {
    String help = Cli.run(Map.of(), "run", "--help").out();
    assertTrue(help.contains("\nRuns the worker until SIGTERM or SIGINT.\n"), help);
    assertTrue(
        help.contains("runs their handlers"),
        "a sentence broken where the source broke it: " + help);
  }
}
