package io.eventworker.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The daemon's pool through transaction pooling, where a setting made for the session would stay on
 * a server connection other clients get next, and be missing from the one this client gets. Each
 * connection it hands out begins every transaction with the session settings for that transaction
 * alone: before the first statement after checkout, a commit or a rollback. Doing it here, not at
 * each place that opens a transaction, means no transaction can run without them.
 */
final class PerTransactionPool extends HikariDataSource {

  private final SessionSettings settings;

  PerTransactionPool(HikariConfig config, SessionSettings settings) {
    super(config);
    this.settings = settings;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection c = super.getConnection();
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new TransactionStart(c, settings));
  }

  /** Sends the settings before the first statement of each transaction on one connection. */
  private static final class TransactionStart implements InvocationHandler {
    private final Connection target;
    private final SessionSettings settings;
    private boolean pending = true;

    TransactionStart(Connection target, SessionSettings settings) {
      this.target = target;
      this.settings = settings;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      // Statements are made before they run, and COPY goes through unwrap: either way the
      // settings reach the server first, in the transaction the statement will run in.
      if (pending
          && (name.equals("createStatement")
              || name.equals("prepareStatement")
              || name.equals("prepareCall")
              || name.equals("unwrap"))
          && !target.getAutoCommit()) {
        settings.beginTransaction(target);
        pending = false;
      }
      Object result;
      try {
        result = method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (name.equals("commit")
          || name.equals("setAutoCommit")
          || (name.equals("rollback") && args == null)) {
        pending = true;
      }
      return result;
    }
  }
}
