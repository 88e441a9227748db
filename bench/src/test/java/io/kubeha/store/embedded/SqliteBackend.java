package io.kubeha.store.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The embedded store's backend on SQLite (as k3s's kine uses it), measured against LMDB for BENCHMARKS.md.
 * WAL journal; synchronous=FULL with fsync (durable across power loss), NORMAL without.
 */
final class SqliteBackend implements Backend {
    private final Path dir;
    private final Connection writer;
    private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(8);

    SqliteBackend(Path dir, boolean fsync) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir);
        String url = "jdbc:sqlite:" + dir.resolve("store.db");
        writer = DriverManager.getConnection(url);
        try (Statement s = writer.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=" + (fsync ? "FULL" : "NORMAL"));
            s.execute("CREATE TABLE IF NOT EXISTS log(id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
        }
        writer.setAutoCommit(false);
        for (int i = 0; i < 8; i++) {
            Connection c = DriverManager.getConnection(url);
            c.setAutoCommit(false);
            readers.add(c);
        }
    }

    @Override
    public void append(List<Entry> records) {
        try (PreparedStatement ps = writer.prepareStatement("INSERT INTO log(id, data) VALUES (?, ?)")) {
            for (Entry e : records) {
                ps.setLong(1, e.id());
                ps.setBytes(2, e.data());
                ps.addBatch();
            }
            ps.executeBatch();
            writer.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public <T> T read(ReadWork<T> work) {
        Connection c = take();
        try (PreparedStatement ps = c.prepareStatement("SELECT data FROM log WHERE id = ?")) {
            T result = work.run(id -> {
                try {
                    ps.setLong(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? rs.getBytes(1) : null;
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            c.commit();
            return result;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } finally {
            readers.add(c);
        }
    }

    private Connection take() {
        try {
            return readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void scan(long from, long to, Visitor visitor) {
        Connection c = take();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, data FROM log WHERE id BETWEEN ? AND ? ORDER BY id")) {
            ps.setLong(1, from);
            ps.setLong(2, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && visitor.visit(rs.getLong(1), rs.getBytes(2))) {
                    // visiting
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } finally {
            readers.add(c);
        }
    }

    @Override
    public void compact(long[] ids, long compactRevision) {
        try (PreparedStatement del = writer.prepareStatement("DELETE FROM log WHERE id = ?");
             PreparedStatement meta = writer.prepareStatement(
                     "INSERT INTO meta(name, value) VALUES ('compactRevision', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")) {
            for (long id : ids) {
                del.setLong(1, id);
                del.addBatch();
            }
            del.executeBatch();
            meta.setLong(1, compactRevision);
            meta.executeUpdate();
            writer.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public long compactRevision() {
        Connection c = take();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE name = 'compactRevision'")) {
            long v = rs.next() ? rs.getLong(1) : 0;
            c.commit();
            return v;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } finally {
            readers.add(c);
        }
    }

    @Override
    public String describe() {
        return "sqlite:" + dir;
    }

    @Override
    public void close() {
        try {
            writer.close();
            for (Connection c : readers) c.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
