package io.eventworker.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.queue.ClaimedEvent;
import java.io.File;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handler README's "Adding a handler" shows compiles against the public API, and works. */
@Tag("unit")
class ReadmeHandlerExampleTest {

  private static final Pattern EXAMPLE =
      Pattern.compile("## Adding a handler\\n.*?```java\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern CLASS_NAME = Pattern.compile("public final class (\\w+)");

  @TempDir Path dir;

  @Test
  void theExampleCompilesAndHandlesAnEvent() throws Exception {
    Matcher example = EXAMPLE.matcher(Files.readString(Path.of("README.md")));
    assertTrue(example.find(), "README.md has a Java example under 'Adding a handler'");
    Matcher name = CLASS_NAME.matcher(example.group(1));
    assertTrue(name.find(), "the example declares a public final class");
    // Only the public API is imported: the example must need nothing else.
    String source =
        "package example;\n\n"
            + "import com.fasterxml.jackson.databind.JsonNode;\n"
            + "import io.eventworker.handler.Event;\n"
            + "import io.eventworker.handler.EventHandler;\n"
            + "import io.eventworker.handler.InvalidEventException;\n"
            + "import io.eventworker.handler.PayloadFields;\n"
            + "import io.eventworker.handler.RowInsert;\n"
            + "import io.eventworker.handler.Rows;\n\n"
            + example.group(1);
    Path file = Files.createDirectories(dir.resolve("example")).resolve(name.group(1) + ".java");
    Files.writeString(file, source);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter errors = new StringWriter();
    boolean compiled =
        javac
            .getTask(
                errors,
                null,
                null,
                List.of("-d", dir.toString(), "-classpath", classPath(), "--release", "17"),
                null,
                javac
                    .getStandardFileManager(null, null, StandardCharsets.UTF_8)
                    .getJavaFileObjects(file.toFile()))
            .call();
    assertTrue(compiled, errors.toString());

    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      EventHandler handler =
          (EventHandler)
              loader.loadClass("example." + name.group(1)).getDeclaredConstructor().newInstance();
      List<Object[]> rows = new ArrayList<>();
      handler.handle(
          event(handler.eventType(), "{\"plan\":\"pro\"}"), (target, values) -> rows.add(values));
      assertEquals(1, rows.size());
      assertEquals(7, rows.get(0)[0]);
      assertEquals("signup:pro", rows.get(0)[1]);
      assertEquals("{\"plan\":\"pro\"}", ((JsonNode) rows.get(0)[2]).toString());
      InvalidEventException invalid =
          assertThrows(
              InvalidEventException.class,
              () -> handler.handle(event(handler.eventType(), "{}"), (target, values) -> {}));
      assertEquals("field 'plan' is required", invalid.getMessage());
    } catch (InvocationTargetException e) {
      throw new AssertionError(e.getCause());
    }
  }

  /** The API's classes and Jackson's, wherever the build put them. */
  private static String classPath() throws Exception {
    List<String> paths = new ArrayList<>();
    for (Class<?> c :
        List.of(EventHandler.class, JsonNode.class, com.fasterxml.jackson.core.JsonParser.class)) {
      paths.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    return String.join(File.pathSeparator, paths);
  }

  private static Event event(String type, String json) {
    return new ClaimedEvent(1, type, 7, json.getBytes(StandardCharsets.UTF_8), Instant.now(), 0);
  }
}
