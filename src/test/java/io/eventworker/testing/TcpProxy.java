package io.eventworker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy between a client (the worker) and a server (PostgreSQL), for tests that break the
 * network path: it accepts on 127.0.0.1 at {@link #port()} and forwards each connection to the
 * target, byte for byte, one thread per direction.
 *
 * <ul>
 *   <li>{@link #forward()}: bytes flow. Bytes held during a blackhole are delivered now, late, as
 *       after a transient stall of the path.
 *   <li>{@link #blackhole()}: every connection, open or new, stays open but no byte passes either
 *       way; the peers see silence, not an error (a pulled cable, a dead router, a full link). New
 *       connections are accepted (the kernel would complete the handshake anyway) and held.
 *   <li>{@link #forwardNewOnly()}: the path works again for new connections, but those opened
 *       before stay silent for good, as when a firewall or NAT box has lost their state. A client
 *       that waits on one of them without a timeout waits forever.
 *   <li>{@link #resetAll()}: every open connection is cut with a TCP reset, both ends.
 * </ul>
 *
 * <p>Connections made silent for good keep their server side open (the server's session ends when
 * the server decides, as it would over a real dead path), and what either side sends on them is
 * read and dropped, so that no sender blocks on a full buffer.
 */
public final class TcpProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private final AtomicLong accepted = new AtomicLong();
  private volatile boolean blackholed;
  private volatile boolean closed;

  private TcpProxy(ServerSocket listener, InetSocketAddress target) {
    this.listener = listener;
    this.target = target;
  }

  /** Starts a proxy on a free port of 127.0.0.1 to {@code host:port}, forwarding. */
  public static TcpProxy start(String host, int port) {
    try {
      ServerSocket listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
      TcpProxy proxy = new TcpProxy(listener, new InetSocketAddress(host, port));
      Thread t = new Thread(proxy::acceptLoop, "tcp-proxy-accept-" + listener.getLocalPort());
      t.setDaemon(true);
      t.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port clients connect to. */
  public int port() {
    return listener.getLocalPort();
  }

  /** Bytes flow on every connection again, including those held during a blackhole. */
  public void forward() {
    synchronized (gate) {
      blackholed = false;
      gate.notifyAll();
    }
  }

  /** No byte passes on any connection, open or new, until {@link #forward()}. */
  public void blackhole() {
    synchronized (gate) {
      blackholed = true;
    }
  }

  /**
   * New connections work again; the ones open now stay silent for good. Returns how many were made
   * dead.
   */
  public int forwardNewOnly() {
    synchronized (gate) {
      int n = 0;
      for (Link link : links) {
        if (!link.dead) {
          link.dead = true;
          n++;
        }
      }
      blackholed = false;
      gate.notifyAll();
      return n;
    }
  }

  /** Cuts every open connection with a reset (RST) to both ends; returns how many. */
  public int resetAll() {
    int n = 0;
    for (Link link : links) {
      link.reset();
      n++;
    }
    return n;
  }

  /** Connections accepted since start. */
  public long acceptedConnections() {
    return accepted.get();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Link link : links) {
      link.close();
    }
    synchronized (gate) {
      gate.notifyAll();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      accepted.incrementAndGet();
      Socket server = new Socket();
      try {
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        server.connect(target, 5_000);
      } catch (IOException e) {
        // The target refuses: so does the proxy, by closing the client's connection.
        closeQuietly(client);
        closeQuietly(server);
        continue;
      }
      Link link = new Link(client, server);
      links.add(link);
      link.start();
    }
  }

  /** One proxied connection: the client's socket, the server's, and a pump each way. */
  private final class Link {
    final Socket client;
    final Socket server;
    volatile boolean dead;
    private volatile boolean finished;

    Link(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void start() {
      String name = "tcp-proxy-" + client.getPort();
      Thread up = new Thread(() -> pump(client, server, true), name + "-up");
      Thread down = new Thread(() -> pump(server, client, false), name + "-down");
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    /**
     * Copies {@code from} to {@code to}. {@code fromClient}: the client-to-server direction, whose
     * end on a dead link must not close the server's session.
     */
    private void pump(Socket from, Socket to, boolean fromClient) {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (true) {
          int n = in.read(buffer);
          if (!awaitPassing()) {
            // Silent for good: drop what was read, keep reading until this side closes.
            if (n < 0) {
              if (!fromClient) {
                close();
              }
              return;
            }
            continue;
          }
          if (n < 0) {
            to.shutdownOutput();
            return;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // A reset or a close on one side: end both, as a TCP relay does.
        if (!(dead && fromClient)) {
          close();
        }
      }
    }

    /** Waits while the path is blackholed; false if this link is silent for good. */
    private boolean awaitPassing() throws IOException {
      synchronized (gate) {
        while (blackholed && !dead && !closed && !finished) {
          try {
            gate.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("interrupted");
          }
        }
      }
      if (closed || finished) {
        throw new SocketException("proxy closed");
      }
      return !dead;
    }

    void reset() {
      try {
        client.setSoLinger(true, 0);
        server.setSoLinger(true, 0);
      } catch (SocketException ignored) {
        // already closed
      }
      close();
    }

    void close() {
      finished = true;
      links.remove(this);
      closeQuietly(client);
      closeQuietly(server);
      synchronized (gate) {
        gate.notifyAll();
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }
}
