package io.eventworker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Every test class carries exactly one of the suites' tags, so that -Dgroups misses none. */
@Tag("unit")
class TestTagsTest {

  private static final List<String> SUITES =
      List.of("unit", "database", "process", "chaos", "deploy");
  private static final Pattern TAG = Pattern.compile("^@Tag\\(\"([^\"]*)\"\\)", Pattern.MULTILINE);

  @Test
  void everyTestClassHasOneSuiteTag() throws IOException {
    Map<String, List<String>> wrong = new TreeMap<>();
    int classes = 0;
    try (Stream<Path> files = Files.walk(Path.of("src", "test", "java"))) {
      for (Path file : files.filter(TestTagsTest::isTestClass).toList()) {
        classes++;
        List<String> tags = tags(Files.readString(file));
        if (tags.size() != 1 || !SUITES.contains(tags.get(0))) {
          wrong.put(file.toString(), tags);
        }
      }
    }
    assertEquals(Map.of(), wrong, "test classes without exactly one of " + SUITES);
    // The walk found the suite, not an empty folder.
    assertEquals(true, classes > 50, classes + " test classes found");
  }

  @Test
  void theCheckSeesTagsOnTheClassOnly() {
    assertEquals(List.of("unit"), tags("@Tag(\"unit\")\nclass A {\n  @Test void t() {}\n}\n"));
    assertEquals(List.of(), tags("class A {\n  @Tag(\"unit\")\n  @Test void t() {}\n}\n"));
    assertEquals(List.of("unit", "chaos"), tags("@Tag(\"unit\")\n@Tag(\"chaos\")\nclass A {}\n"));
  }

  private static boolean isTestClass(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith("Test.java") || name.endsWith("IT.java");
  }

  private static List<String> tags(String source) {
    Matcher m = TAG.matcher(source);
    List<String> tags = new java.util.ArrayList<>();
    while (m.find()) {
      tags.add(m.group(1));
    }
    return tags;
  }
}
