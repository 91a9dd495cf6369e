package io.eventworker.chaos;

/**
 * The text of the chaos report (target/chaos/RELIABILITY.md, kept as docs/RELIABILITY.md) around
 * the run's tables ({date}, {runtime}, {machine}, {table}, {recovery} are filled in by {@link
 * ChaosReport}).
 */
final class ChaosDoc {
  private ChaosDoc() {}

  static final String TEXT =
      """
      # Reliability: the chaos suite

      The chaos suite (`src/test/java/io/eventworker/chaos/ChaosIT.java`) runs the real worker jar
      (`target/event-worker.jar run`), as separate processes, against a PostgreSQL 15 cluster of its
      own (`initdb` into a temporary folder, started on a free port of 127.0.0.1), and breaks things
      while they work: worker processes killed with SIGKILL, the server restarted or left down,
      sessions terminated, the network path between worker and database silenced or reset, steady
      producer traffic, SIGTERM under load. Every scenario ends with the exactly-once invariant
      checked event by event, and the suite fails if any event is lost or duplicated. Every complete
      run writes its report to `target/chaos/RELIABILITY.md`; `docs/RELIABILITY.md` is the report of
      a run chosen to be kept, and changes only when asked for with `-Dchaos.updateDoc=true`.

      ```sh
      mvn -B verify -Pchaos                         # only the chaos suite: unit tests skipped, \
      Failsafe limited to io.eventworker.chaos
      mvn -B verify                                 # everything, the chaos suite included
      mvn -B verify -Pchaos -Dchaos.updateDoc=true  # a chaos run that also rewrites docs/RELIABILITY.md
      ```

      It needs the PostgreSQL 15 server programs (`/usr/lib/postgresql/15/bin`, or `PG_BIN`), no
      running server and no Docker. As root, the server runs as the `postgres` user. Each run picks
      its random choices (which worker to kill, when, which sessions to end) from a seed it prints;
      `-Dchaos.seed=N` repeats the choices (the timing still varies from run to run).

      ## Last run

      {date}, suite runtime {runtime}.
      Machine: {machine}.

      {table}

      Rows 7 come from `FailoverIT`, a class of its own. Each class rewrites only its own rows of
      this table (with `-Dchaos.updateDoc=true`), so rows 1-6 and rows 7 may come from different
      runs; the date above is that of rows 1-6, and `target/chaos/FAILOVER.md` holds the failover
      run's own report.

      - **events**: events the producers inserted; about 1% are invalid (every event whose number is
        a multiple of 97).
      - **processed / failed**: events marked `processed` / `failed` at the end.
      - **lost**: a valid event that is not `processed` with its row, or an invalid one that is not
        `failed` with a non-empty `last_error`: left pending, missing, or marked without its effect.
      - **duplicated**: a valid event whose `data_entries` or `metrics` row is there more than once
        (or an event stored twice).
      - **stray**: a row written for an invalid event or for no event at all, or an event the
        producers never sent.
      - **recovery time**: for each fault, seconds from its end (the server accepting connections
        again, the network path restored) until the workers processed events again. Details below.

      The suite fails if lost, duplicated or stray is not 0 in any row, if the table counts differ
      from the expected numbers, or if a finished event has `attempts` other than 1 (a failure that
      was the system's charged to the event), and not only prints the table.

      ### Recovery times

      {recovery}

      - **processing resumed**: from the end of the fault until the count of finished events grows
        again (polled every 20 ms).
      - **caught up**: until every event that was pending at that moment is finished: the backlog
        that built up (in scenario 2, the rest of a 25,000-event chunk processed by workers slowed
        to batches of 100) worked off, including the events whose rows a lost session still held
        locked, which are claimed again only once the server has ended that session.
      - **all workers ready**: until every worker answers 200 on `/health/ready` again (a background
        monitor asks every 200 ms; 0 when it never saw anything but 200).

      ## How the invariant is checked

      Every event carries its number `seq` in its payload (a field the handlers ignore). Event `seq`
      is a `data_entry` with key `k-seq` when odd, a `metric` named `m-seq` when even, and invalid
      when `seq` is a multiple of 97 (an entry without its key, a metric whose value is a string).
      Keys and names are unique, so each event's outcome can be checked on its own: one SQL
      statement (one snapshot) joins the numbers 1..n the producers sent with the `events` rows and
      with the number of rows per key in `data_entries` and `metrics`, and classifies every event.
      Then the totals are compared with the expected numbers: events stored, processed, failed,
      pending (0), `data_entries` rows, `metrics` rows.

      Mid-run, after each kill, restart, network fault and SIGTERM, a second single-statement check
      verifies that nothing is half done: every processed event has its row exactly once, no other
      event has one, no row belongs to no event, and no pending event was charged an attempt.

      The checks are tested too: `invariantCheckCatchesEachKindOfViolation` damages the tables of a
      clean run by hand and expects each kind of damage to be counted where it belongs, so that the
      checks cannot pass vacuously; `TcpProxyIT` checks the proxy's modes against an echo server.

      ## The scenarios

      **1. kill -9.** 200,000 events, three worker processes. Twenty rounds, a few seconds apart:
      insert a chunk of 10,000 events, wait until a random 10-70% of it is done, SIGKILL one of the
      three workers chosen at random, check that nothing is half done, restart it, pause 1-3 s.
      With their defaults the workers drain about 80,000 events/s, so 200,000 events inserted up
      front would be gone within seconds and most kills would hit idle workers. Feeding them one
      chunk per round, and timing each kill on that chunk's progress, makes every kill land while
      work is in flight; the workers also run with 2 threads and batches of 50 (instead of 4 and
      500), so that a chunk is spread over many more, shorter transactions and a kill is likely to
      cut some of them open. The server log shows it: the notes count its "unexpected EOF on client
      connection with an open transaction" lines, transactions cut by a kill (at least one is
      required), and at least half the kills must land while events are pending.

      **2. PostgreSQL restarts.** Two workers (2 threads, batches of 100). Four times, a chunk of
      25,000 events is inserted and, once the workers are busy with it, the server is stopped: after
      a fast, an immediate and a fast shutdown it is started again at once; the fourth time (an
      immediate shutdown) it stays down for 30 s. The worker processes must stay alive throughout;
      during the 30 s outage every worker must answer 503 on `/health/ready`, then 200 once the
      server is back; and processing must resume by itself, nobody touching the workers. After a
      long outage each worker thread retries about every `DB_RETRY_BACKOFF_MAX` (5 s) with jitter,
      which bounds the time to resume; the first thread to get through resumes processing.

      **3. pg_terminate_backend.** Three workers (2 threads, batches of 100); 100,000 events arrive
      at 4,000/s in chunks of 2,000. Every 100-600 ms a random choice of the workers' sessions
      (`application_name = 'event-worker'`: one, three or all of them) is ended with
      `pg_terminate_backend`: claims and commits in flight, idle pooled connections and the LISTEN
      connection alike. The workers must stay up, retry (`eventworker_database_retries_total` must
      grow), finish the queue, answer ready, and exit 0 on SIGTERM.

      **4. A network path that stops answering.** Two workers reach the database only through
      `TcpProxy` (`src/test/java/io/eventworker/testing/TcpProxy.java`), a small TCP proxy in the
      test, with `DB_SOCKET_TIMEOUT=5s`, `DB_STATEMENT_TIMEOUT=3s` and `DB_CONNECT_TIMEOUT=2s`;
      producers insert 500 events/s straight to the server all along, so the queue grows while the
      workers are cut off. Four faults, 3 s apart:

      - *blackhole 12 s, then only new connections pass*: no byte passes either way on any
        connection, open or new (new ones are accepted, then held), for longer than the socket
        timeout; then the path works again for new connections, while those opened before stay
        silent for good, as when a firewall or NAT box has lost their state. A thread waiting on
        such a socket without a timeout would wait forever: the proxy keeps the socket open, so
        TCP keepalive never fails.
      - *blackhole 2 s, then only new connections pass*: shorter than the socket timeout, so threads
        caught inside a statement are still waiting when the path comes back, on connections that
        will never answer again; they must give up by themselves.
      - *blackhole 3 s, then held bytes delivered*: a transient stall; what was sent meanwhile
        arrives late, and nothing has to fail.
      - *reset*: every connection cut with a TCP reset, both ways.

      During the 12 s blackhole both workers must answer 503 on `/health/ready`, and the workers'
      own metrics must show the errors they met (`eventworker_database_retries_total` +
      `eventworker_loop_errors_total` > 0). After each fault the recovery is measured from the
      moment the path is restored. A producer at 500 events/s runs through all four faults, so that
      there is always traffic to resume: after a stall the workers can drain what piled up within
      0.1 s, before the measurement's first look, and then the producer's next events show that
      processing resumed. (An earlier version added 1,000 events when it found nothing pending, and
      refused to, failing the scenario, while the producer ran; that failed once, on 2026-11-25,
      after a stall.)

      **5. Producers at 1,000 events/s.** Four producer connections insert 1,000 events/s for 30 s,
      five events per INSERT: 200 statements, and so 200 notifications, a second (the insert
      trigger's `NOTIFY` fires once per statement), while two workers with the default settings
      consume them. The producers must reach at least 900 events/s and the queue must stay under
      10,000 pending events; the notes give the most pending events seen and the latency
      (`processed_at - created_at`) at p50 and p99.

      **6. SIGTERM under full load.** A backlog of 200,000 events. Three times, two workers with the
      default settings (4 threads, batches of 500, full speed) start and, once they have finished
      15,000 more events, both get SIGTERM at the same moment: each must exit 0 within 10 s and log
      "all batches finished", and nothing may be half done (processed events have their rows, the
      others none and no attempt charged). Events must still be pending at that moment, so the
      SIGTERM landed under load. A last worker then finishes the queue, and the invariant is
      checked over all 200,000 events.

      **7. Failover to a standby** (`FailoverIT`, a class of its own, run apart from the six
      above: `-Dit.test=FailoverIT`). A primary and a standby made with `pg_basebackup -R`, two
      workers and four producers on one two-host `DATABASE_URL` (`targetServerType=primary`). After
      10,000 events the primary is stopped in immediate mode and the standby promoted; nobody touches
      the workers. Three runs: synchronous replication (every acknowledged event must be on the new
      primary, processed once: lost 0, duplicated 0), asynchronous, and asynchronous with the
      replication link stalled for 1 s before the crash, where acknowledged events are lost and
      events processed on the old primary are processed again on the new one; there the test counts
      them and asserts what must hold within the new primary's history (nothing duplicated, every
      event processed once or failed). "lost" in its rows counts acknowledged events missing from the
      new primary; its recovery time runs from the moment the old primary is down, the promotion
      included. The figures and what they mean: docs/SCALING.md, "Failover to a standby".

      ## Timeouts

      | setting | default | scenario 4 | what it bounds |
      |---|---|---|---|
      | `DB_CONNECT_TIMEOUT` | 2 s | 2 s | Opening a connection (the driver's connect and login \
      timeouts) and waiting for one from the pool. A path that accepts connections but never \
      answers fails each attempt after this long, and `/health/ready` answers 503 with the reason. |
      | `DB_SOCKET_TIMEOUT` | 30 s | 5 s | The driver gives up on a read that waited this long: a \
      thread inside a statement on a dead socket is freed, its connection discarded, the batch \
      retried on a new one. The server likewise ends a worker's transaction left idle this long \
      (`idle_in_transaction_session_timeout`), releasing the rows a vanished worker held locked. |
      | `DB_STATEMENT_TIMEOUT` | 15 s | 3 s | The server cancels a worker statement that runs this \
      long, and a wait for a lock at half of it (`lock_timeout`). It must be shorter than the \
      socket timeout, so that the server gives up before the client does. |
      | `DB_RETRY_BACKOFF` / `DB_RETRY_BACKOFF_MAX` | 100 ms / 5 s | defaults | Waits between \
      retries of transient database errors, doubling, with jitter. After a long outage each thread \
      tries about every 5 s, which bounds the time to resume once the database answers again. |

      How they show in scenario 4: after a fault that silences the old connections, processing
      resumes as soon as one thread works on a fresh connection. Pooled connections that sat idle
      are validated before use (HikariCP, 1 s at most) and replaced; a thread caught inside a
      statement on a silent connection is freed when its socket timeout (5 s) expires. "Caught up"
      also waits for the server to end the sessions that still hold rows locked (statement timeout
      3 s, idle-in-transaction timeout 5 s). A stall shorter than the timeouts costs only its own
      length, and a reset is noticed at once. With the default 30 s socket timeout, a thread caught
      by a dead path would be stuck for up to 30 s instead of 5: choose `DB_SOCKET_TIMEOUT` above
      the longest statement you expect and as far below the time you can afford a stuck thread as
      that allows, and `DB_STATEMENT_TIMEOUT` below it.

      ## What the suite does not cover

      - One machine, loopback only: no real packet loss, latency or partition between hosts. The
        proxy models a silent path and a reset, not a slow or lossy link.
      - Connections the proxy silences for good keep their server side open until the server ends
        them (the idle-in-transaction timeout, for a session inside a transaction) or the proxy
        closes at the end of the scenario: the proxy's own kernel answers the server's TCP
        keepalives, which over a real dead path would end idle sessions after about 30 s. Hence
        `max_connections = 300` on the test cluster.
      - The cluster runs with `fsync = off`: an immediate shutdown is a crash of PostgreSQL, not of
        the machine. Durability across power loss is PostgreSQL's and is not tested here.
      - A full disk, clock jumps and the worker running out of memory are not
        exercised.
      """;
}
