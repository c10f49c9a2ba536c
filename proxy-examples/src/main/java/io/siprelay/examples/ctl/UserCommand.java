package io.siprelay.examples.ctl;

import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.auth.db.JdbcSubscriberStore;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl user add|passwd|rm|list}: the subscriber table ({@code kamctl add|passwd|rm}). */
@Command(name = "user", description = "Subscribers (kamctl add, passwd, rm): work on the database, no PBX needed.",
        subcommands = {UserCommand.Add.class, UserCommand.Passwd.class, UserCommand.Remove.class,
                UserCommand.ListUsers.class})
final class UserCommand {

    /** SIP user part characters (RFC 3261 unreserved, user-unreserved and escapes), at most the column's 64. */
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=?/%-]{1,64}");
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?"
            + "|\\[[0-9A-Fa-f:.]{2,60}]");

    /** A subscriber named on the command line: {@code user@domain} or {@code user} with {@code --domain}. */
    record Account(String user, String domain) {
        @Override
        public String toString() {
            return user + "@" + domain;
        }
    }

    static Account account(String arg, String domainOption) {
        String a = arg.trim();
        if (a.regionMatches(true, 0, "sip:", 0, 4)) {
            a = a.substring(4);
        }
        String user = a;
        String domain = domainOption == null || domainOption.isBlank() ? null : domainOption.trim();
        int at = a.lastIndexOf('@');
        if (at >= 0) {
            user = a.substring(0, at);
            String d = a.substring(at + 1);
            if (domain != null && !domain.equalsIgnoreCase(d)) {
                throw CtlException.usage("two domains for " + arg + ": '" + d + "' and --domain '" + domain + "'");
            }
            domain = d;
        }
        if (domain == null) {
            throw CtlException.usage("no domain for user '" + user + "': give " + user
                    + "@DOMAIN or --domain DOMAIN (or set SIPRELAY_DOMAIN)");
        }
        if (!USER.matcher(user).matches()) {
            throw CtlException.usage("invalid user name '" + user + "': 1 to 64 characters of letters, digits and "
                    + "-_.!~*'()&=+$,;?/%");
        }
        if (!DOMAIN.matcher(domain).matches()) {
            throw CtlException.usage("invalid domain '" + domain + "': a host name or IP address of at most 64 "
                    + "characters");
        }
        return new Account(user, domain);
    }

    /**
     * The password argument: {@code -} reads one line from standard input; none prompts on a terminal.
     */
    static String password(SiprelayCtl root, String arg) {
        String pw;
        if (arg == null) {
            Console console = System.console();
            if (console == null) {
                throw CtlException.usage("a password is required: give it, or '-' to read it from standard input");
            }
            char[] a = console.readPassword("Password: ");
            char[] b = console.readPassword("Password again: ");
            if (a == null || b == null || !new String(a).equals(new String(b))) {
                throw CtlException.usage("the passwords differ");
            }
            pw = new String(a);
        } else if (arg.equals("-")) {
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(root.stdin(), StandardCharsets.UTF_8));
                pw = r.readLine();
            } catch (IOException e) {
                throw CtlException.usage("cannot read the password from standard input: " + e.getMessage());
            }
            if (pw == null) {
                throw CtlException.usage("no password on standard input");
            }
        } else {
            pw = arg;
        }
        if (pw.isEmpty()) {
            throw CtlException.usage("the password is empty");
        }
        if (pw.length() > 64) {
            throw CtlException.usage("the password is longer than 64 characters");
        }
        return pw;
    }

    static Map<String, Object> result(String action, Account a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", action);
        m.put("username", a.user());
        m.put("domain", a.domain());
        return m;
    }

    /** Prints what a command did: one line, or with --json the action and the account. */
    private static void report(CommandSpec spec, String action, Account a, String line) {
        Output out = SiprelayCtl.output(spec);
        if (out.json()) {
            out.printJson(result(action, a));
        } else {
            out.line(line);
        }
    }

    /** USER[@DOMAIN] and --domain, shared by add, passwd and rm. */
    static final class AccountArgs {
        @Parameters(index = "0", paramLabel = "USER[@DOMAIN]", description = "The subscriber.")
        String account;

        @Option(names = {"-d", "--domain"}, paramLabel = "DOMAIN", defaultValue = "${env:SIPRELAY_DOMAIN}",
                description = "Domain when USER has none (env SIPRELAY_DOMAIN).")
        String domain;
    }

    @Command(name = "add", description = {"Adds a subscriber (kamctl add 1001 secret).",
            "Example: siprelayctl user add 1001@example.com secret",
            "         echo secret | siprelayctl user add 1001 - --domain example.com"})
    static final class Add implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        AccountArgs who;

        @Parameters(index = "1", arity = "0..1", paramLabel = "PASSWORD",
                description = "The password; '-' reads it from standard input, none prompts on a terminal.")
        String password;

        @Override
        public void run() {
            SiprelayCtl root = SiprelayCtl.root(spec);
            Account a = account(who.account, who.domain);
            String pw = password(root, password);
            try (CtlDatabase.Opened<AuthDatabase> opened = root.database().auth()) {
                AuthDatabase db = opened.tables();
                JdbcSubscriberStore store = new JdbcSubscriberStore(db);
                if (store.find(a.user(), a.domain()).isPresent()) {
                    throw CtlException.usage("user " + a + " already exists (change the password with "
                            + "'siprelayctl user passwd')");
                }
                store.add(a.user(), a.domain(), pw);
            }
            report(spec, "added", a, "added user " + a);
        }
    }

    @Command(name = "passwd", description = {"Changes a subscriber's password (kamctl passwd 1001 newsecret).",
            "Example: siprelayctl user passwd 1001@example.com -   (reads the password from standard input)"})
    static final class Passwd implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        AccountArgs who;

        @Parameters(index = "1", arity = "0..1", paramLabel = "PASSWORD",
                description = "The new password; '-' reads it from standard input, none prompts on a terminal.")
        String password;

        @Override
        public void run() {
            SiprelayCtl root = SiprelayCtl.root(spec);
            Account a = account(who.account, who.domain);
            String pw = password(root, password);
            CtlDatabase database = root.database();
            database.requireExisting();
            try (CtlDatabase.Opened<AuthDatabase> opened = database.auth()) {
                AuthDatabase db = opened.tables();
                if (!new JdbcSubscriberStore(db).changePassword(a.user(), a.domain(), pw)) {
                    throw CtlException.usage("no such user: " + a);
                }
            }
            report(spec, "password changed", a, "changed the password of " + a);
        }
    }

    @Command(name = "rm", description = "Removes a subscriber (kamctl rm 1001).")
    static final class Remove implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        AccountArgs who;

        @Override
        public void run() {
            SiprelayCtl root = SiprelayCtl.root(spec);
            Account a = account(who.account, who.domain);
            CtlDatabase database = root.database();
            database.requireExisting();
            try (CtlDatabase.Opened<AuthDatabase> opened = database.auth()) {
                AuthDatabase db = opened.tables();
                if (!new JdbcSubscriberStore(db).remove(a.user(), a.domain())) {
                    throw CtlException.usage("no such user: " + a);
                }
            }
            report(spec, "removed", a, "removed user " + a);
        }
    }

    @Command(name = "list", aliases = "show", description = "Lists the subscribers (passwords are not shown).")
    static final class ListUsers implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = {"-d", "--domain"}, paramLabel = "DOMAIN", description = "Only this domain.")
        String domain;

        @Override
        public void run() {
            SiprelayCtl root = SiprelayCtl.root(spec);
            CtlDatabase database = root.database();
            database.requireExisting();
            List<Map<String, Object>> users;
            try (CtlDatabase.Opened<AuthDatabase> opened = database.auth()) {
                AuthDatabase db = opened.tables();
                String where = domain == null ? "" : " WHERE domain = :d";
                users = db.jdbi().withHandle(h -> {
                    var q = h.createQuery("SELECT username, domain, password, ha1 FROM " + db.subscriberTable()
                            + where + " ORDER BY domain, username");
                    if (domain != null) {
                        q.bind("d", domain);
                    }
                    return q.map((rs, ctx) -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("username", rs.getString("username"));
                        m.put("domain", rs.getString("domain"));
                        String pw = rs.getString("password");
                        String ha1 = rs.getString("ha1");
                        m.put("credentials", pw != null && !pw.isEmpty() ? "password"
                                : ha1 != null && !ha1.isEmpty() ? "ha1" : "none");
                        return m;
                    }).list();
                });
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(users);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> u : users) {
                rows.add(List.of(String.valueOf(u.get("username")), String.valueOf(u.get("domain")),
                        String.valueOf(u.get("credentials"))));
            }
            out.table(List.of("USERNAME", "DOMAIN", "CREDENTIALS"), rows);
            out.line(users.size() + (users.size() == 1 ? " subscriber" : " subscribers"));
        }
    }
}
