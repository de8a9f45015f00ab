package steerscope.task;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import steerscope.util.UserError;

/**
 * The rows of a Parquet file as JSON objects, read by DuckDB (its JDBC driver, in memory): every codec and
 * physical type the Hub's files use, and each row turned into JSON by DuckDB's own {@code to_json}, so a Parquet
 * dataset goes through the same field rules as a JSONL one.
 */
final class ParquetRows {
    private ParquetRows() {}

    /** True when the file starts with Parquet's magic "PAR1". A missing file is a {@link UserError}. */
    static boolean isParquet(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1';
        } catch (NoSuchFileException e) {
            throw UserError.inFile(file, "file not found");
        } catch (IOException e) {
            throw UserError.inFile(file, "cannot read: " + e.getMessage());
        }
    }

    static List<String> read(Path file) {
        String path = file.toAbsolutePath().toString().replace("'", "''");
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_json(t)::VARCHAR FROM read_parquet('" + path + "') AS t")) {
            while (rs.next()) rows.add(rs.getString(1));
        } catch (SQLException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("").strip();
            throw UserError.inFile(file, "not a readable Parquet file: " + msg);
        }
        return rows;
    }
}
