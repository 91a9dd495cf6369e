package io.eventworker.testing;

import io.eventworker.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs {@code event-worker} commands in the test's JVM and keeps what they print. */
public final class Cli {

  /** Exit status, standard output and standard error of one command. */
  public record Result(int status, String out, String err) {
    @Override
    public String toString() {
      return "exit " + status + "\nout: " + out + "\nerr: " + err;
    }
  }

  private Cli() {}

  public static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(status, out.toString(), err.toString());
  }
}
