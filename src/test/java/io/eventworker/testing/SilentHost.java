package io.eventworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A port of 127.0.0.1 that never answers a connection attempt, as a machine gone from the network:
 * a listening socket that never accepts, whose accept queue is filled at start, so that the kernel
 * drops every further SYN and the client's connect waits until its own timeout (not a refusal,
 * which a client notices at once).
 */
public final class SilentHost implements AutoCloseable {

  private final ServerSocket listener;
  private final List<Socket> fillers = new ArrayList<>();

  private SilentHost(ServerSocket listener) {
    this.listener = listener;
  }

  /** Opens the port and fills its queue of one (Linux keeps backlog + 1 connections). */
  public static SilentHost start() {
    try {
      SilentHost host = new SilentHost(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      for (int i = 0; i < 2; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), host.port()), 1000);
        host.fillers.add(s);
      }
      return host;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** Whether a connection attempt of {@code timeoutMillis} times out (the port is still silent). */
  public boolean staysSilent(int timeoutMillis) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), timeoutMillis);
      return false;
    } catch (java.net.SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    for (Socket s : fillers) {
      s.close();
    }
    listener.close();
  }
}
