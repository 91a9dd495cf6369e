package io.eventworker.chaos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.TcpProxy;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The chaos suite's {@link TcpProxy} does what scenario 4 relies on, against an echo server. */
@Tag("chaos")
@Timeout(60)
class TcpProxyIT {

  private ServerSocket echo;
  private TcpProxy proxy;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread e =
                      new Thread(
                          () -> {
                            try (s) {
                              s.getInputStream().transferTo(s.getOutputStream());
                            } catch (IOException ignored) {
                              // the peer went away
                            }
                          });
                  e.setDaemon(true);
                  e.start();
                } catch (IOException ignored) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void forwardsBlackholesDeliversLateSilencesForGoodAndResets() throws Exception {
    Socket a = connect();
    assertEcho(a, "a");

    proxy.blackhole();
    send(a, "b");
    assertSilent(a);
    Socket b = connect(); // accepted, then held
    send(b, "x");
    assertSilent(b);

    proxy.forward(); // what was held arrives, late
    assertArrayEquals(bytes("b"), read(a, 1));
    assertArrayEquals(bytes("x"), read(b, 1));

    proxy.blackhole();
    assertEquals(2, proxy.forwardNewOnly());
    send(a, "c");
    assertSilent(a); // silent for good
    Socket c = connect();
    assertEcho(c, "d"); // new connections work
    assertSilent(a);

    assertEquals(3, proxy.resetAll(), "the two silent connections are reset too, and the live one");
    assertThrows(
        IOException.class,
        () -> {
          send(c, "e");
          int n = c.getInputStream().read();
          if (n < 0) {
            throw new IOException("end of stream");
          }
        });
    assertEcho(connect(), "f");
    assertTrue(proxy.acceptedConnections() >= 4);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(5_000);
    return s;
  }

  private static void assertEcho(Socket s, String text) throws IOException {
    send(s, text);
    assertArrayEquals(bytes(text), read(s, text.length()));
  }

  private static void assertSilent(Socket s) throws IOException {
    s.setSoTimeout(700);
    try {
      assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
    } finally {
      s.setSoTimeout(5_000);
    }
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(bytes(text));
    s.getOutputStream().flush();
  }

  private static byte[] read(Socket s, int n) throws IOException {
    InputStream in = s.getInputStream();
    return in.readNBytes(n);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
