package io.siprelay.db;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One component's schema: where its Flyway scripts are, the history table that records them, and the placeholders
 * the scripts use. A component keeps its own history table so that its migrations and another component's in the
 * same database do not interfere, and so that databases created by earlier releases keep their history.
 *
 * @param owner        the component class whose class loader finds the scripts
 * @param location     the classpath folder of the scripts; {@code {dialect}} is replaced by {@link SqlDialect#folder()}
 * @param historyTable Flyway's history table for this component
 * @param placeholders {@code ${name}} values substituted in the scripts
 */
public record Migration(Class<?> owner, String location, String historyTable, Map<String, String> placeholders) {

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    public Migration {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(location, "location");
        historyTable = identifier(historyTable);
        placeholders = Map.copyOf(placeholders);
    }

    /** The script folder for a dialect. */
    public String locationFor(SqlDialect dialect) {
        return location.replace("{dialect}", dialect.folder());
    }

    /**
     * A plain SQL identifier (letters, digits, underscore; at most 63 characters), or an exception naming it: table
     * names are put into SQL text, so only such names are accepted.
     */
    public static String identifier(String name) {
        if (name == null || !IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain SQL identifier (letters, digits, _; at most 63): " + name);
        }
        return name;
    }
}
