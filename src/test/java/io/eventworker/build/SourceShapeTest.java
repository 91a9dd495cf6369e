package io.eventworker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.LineMap;
import com.sun.source.tree.MethodTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The worker's sources stay small enough to read in one sitting: no file over 300 lines, no method
 * over 60. Methods are found by the JDK's own parser, not by pattern.
 */
@Tag("unit")
class SourceShapeTest {

  private static final Path MAIN = Path.of("src/main/java");
  private static final int MAX_FILE_LINES = 300;
  private static final int MAX_METHOD_LINES = 60;

  @Test
  void noFileIsOverThreeHundredLines() throws IOException {
    List<String> long_ = new ArrayList<>();
    for (Path file : javaFiles()) {
      int lines = Files.readAllLines(file).size();
      if (lines > MAX_FILE_LINES) {
        long_.add(file + ": " + lines + " lines");
      }
    }
    assertEquals(List.of(), long_);
  }

  @Test
  void noMethodIsOverSixtyLines() throws IOException {
    List<String> long_ = new ArrayList<>();
    int methods = 0;
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(null, null, null)) {
      JavacTask task =
          (JavacTask)
              compiler.getTask(
                  null,
                  files,
                  null,
                  List.of("-proc:none"),
                  null,
                  files.getJavaFileObjectsFromPaths(javaFiles()));
      SourcePositions positions = Trees.instance(task).getSourcePositions();
      for (CompilationUnitTree unit : task.parse()) {
        LineMap lines = unit.getLineMap();
        List<String> found = new ArrayList<>();
        new TreeScanner<Void, Void>() {
          @Override
          public Void visitMethod(MethodTree method, Void unused) {
            if (method.getBody() != null) {
              long first = lines.getLineNumber(positions.getStartPosition(unit, method));
              long last = lines.getLineNumber(positions.getEndPosition(unit, method));
              found.add(method.getName() + ":" + (last - first + 1));
            }
            return super.visitMethod(method, unused);
          }
        }.scan(unit, null);
        methods += found.size();
        for (String entry : found) {
          int length = Integer.parseInt(entry.substring(entry.lastIndexOf(':') + 1));
          if (length > MAX_METHOD_LINES) {
            long_.add(Path.of(unit.getSourceFile().toUri()).getFileName() + " " + entry + " lines");
          }
        }
      }
    }
    assertTrue(methods > 200, "parsed the worker's methods (" + methods + ")");
    assertEquals(List.of(), long_);
  }

  private static List<Path> javaFiles() throws IOException {
    try (Stream<Path> files = Files.walk(MAIN)) {
      return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
  }
}
