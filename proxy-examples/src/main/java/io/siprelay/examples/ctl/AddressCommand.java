package io.siprelay.examples.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.auth.db.JdbcAddressStore;
import io.siprelay.permissions.AddressEntry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl address add|rm|list|reload|dump}: Kamailio's {@code address} table (permissions module). */
@Command(name = "address", description = {"IP address groups (kamctl address, kamcmd permissions.*).",
        "add, rm and list work on the database; reload and dump talk to the running PBX."},
        subcommands = {AddressCommand.Add.class, AddressCommand.Remove.class, AddressCommand.ListAddresses.class,
                AddressCommand.Reload.class, AddressCommand.Dump.class})
final class AddressCommand {

    /** The entry an {@code add} stores: mask from the CIDR suffix or the full host length when not given. */
    static AddressEntry entry(int group, String ipArg, Integer mask, int port, String tag) {
        String ip = ipArg.trim();
        Integer m = mask;
        int slash = ip.indexOf('/');
        if (slash >= 0) {
            int fromCidr;
            try {
                fromCidr = Integer.parseInt(ip.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw CtlException.usage("invalid prefix length in '" + ipArg + "'");
            }
            if (m != null && m != fromCidr) {
                throw CtlException.usage("two masks for " + ipArg + ": /" + fromCidr + " and " + m);
            }
            m = fromCidr;
            ip = ip.substring(0, slash);
        }
        if (m == null) {
            m = ip.contains(":") ? 128 : 32;
        }
        try {
            return new AddressEntry(group, ip, m, port, tag == null || tag.isEmpty() ? null : tag);
        } catch (IllegalArgumentException e) {
            throw CtlException.usage("invalid address entry: " + e.getMessage());
        }
    }

    private static byte[] bytes(String ip) {
        String s = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        try {
            return InetAddress.getByName(s).getAddress(); // a validated literal: no DNS lookup
        } catch (UnknownHostException e) {
            return new byte[0];
        }
    }

    static Map<String, Object> json(AddressEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("grp", e.group());
        m.put("ip_addr", e.ip());
        m.put("mask", e.mask());
        m.put("port", e.port());
        m.put("tag", e.tag());
        return m;
    }

    private static String describe(AddressEntry e) {
        return "group " + e.group() + " " + e.ip() + "/" + e.prefixLength() + " port " + e.port()
                + (e.tag() == null ? "" : " tag '" + e.tag() + "'");
    }

    @Command(name = "add", description = {
            "Adds an entry (kamctl address add 200 10.0.1.102 32 5060 \"Carrier IP address\").",
            "MASK defaults to the full host length (or the /LEN of IP), PORT to 0 (any port)."})
    static final class Add implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "GROUP", description = "Address group (grp), 0 or more.")
        int group;

        @Parameters(index = "1", paramLabel = "IP", description = "IPv4 or IPv6 address, or a network a.b.c.d/len.")
        String ip;

        @Parameters(index = "2", arity = "0..1", paramLabel = "MASK", description = "Prefix length, e.g. 32 or 24.")
        Integer mask;

        @Parameters(index = "3", arity = "0..1", paramLabel = "PORT", defaultValue = "0",
                description = "Port, 0 = any (default).")
        int port;

        @Parameters(index = "4", arity = "0..1", paramLabel = "TAG", description = "Free text handed to the route.")
        String tag;

        @Override
        public void run() {
            AddressEntry e = entry(group, ip, mask, port, tag);
            if (e.tag() != null && e.tag().length() > 64) {
                throw CtlException.usage("the tag is longer than 64 characters");
            }
            try (CtlDatabase.Opened<AuthDatabase> opened = SiprelayCtl.root(spec).database().auth()) {
                AuthDatabase db = opened.tables();
                JdbcAddressStore store = new JdbcAddressStore(db);
                for (AddressEntry old : store.load()) {
                    if (old.group() == e.group() && Arrays.equals(bytes(old.ip()), bytes(e.ip()))
                            && old.prefixLength() == e.prefixLength() && old.port() == e.port()) {
                        throw CtlException.usage("address entry already exists: " + describe(old));
                    }
                }
                store.add(e);
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("action", "added");
                m.putAll(json(e));
                out.printJson(m);
            } else {
                out.line("added address " + describe(e));
                out.line("the running PBX applies it after 'siprelayctl address reload'");
            }
        }
    }

    @Command(name = "rm", description = {"Removes entries of a group (kamctl address rm 200 10.0.1.102).",
            "Without MASK and PORT every entry of GROUP with this IP is removed."})
    static final class Remove implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "GROUP", description = "Address group.")
        int group;

        @Parameters(index = "1", paramLabel = "IP", description = "IPv4 or IPv6 address, or a.b.c.d/len.")
        String ip;

        @Parameters(index = "2", arity = "0..1", paramLabel = "MASK", description = "Only entries with this mask.")
        Integer mask;

        @Parameters(index = "3", arity = "0..1", paramLabel = "PORT", description = "Only entries with this port.")
        Integer port;

        @Override
        public void run() {
            AddressEntry wanted = entry(group, ip, mask, port == null ? 0 : port, null);
            boolean maskGiven = mask != null || ip.contains("/");
            CtlDatabase database = SiprelayCtl.root(spec).database();
            database.requireExisting();
            List<AddressEntry> removed = new ArrayList<>();
            try (CtlDatabase.Opened<AuthDatabase> opened = database.auth()) {
                AuthDatabase db = opened.tables();
                JdbcAddressStore store = new JdbcAddressStore(db);
                for (AddressEntry old : store.load()) {
                    if (old.group() == wanted.group() && Arrays.equals(bytes(old.ip()), bytes(wanted.ip()))
                            && (!maskGiven || old.prefixLength() == wanted.prefixLength())
                            && (port == null || old.port() == port)) {
                        if (store.remove(old) > 0) {
                            removed.add(old);
                        }
                    }
                }
            }
            if (removed.isEmpty()) {
                throw CtlException.usage("no address entry of group " + group + " matches " + ip
                        + (mask == null ? "" : " mask " + mask) + (port == null ? "" : " port " + port));
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("action", "removed");
                m.put("entries", removed.stream().map(AddressCommand::json).toList());
                out.printJson(m);
            } else {
                removed.forEach(e -> out.line("removed address " + describe(e)));
                out.line("the running PBX applies it after 'siprelayctl address reload'");
            }
        }
    }

    @Command(name = "list", aliases = "show", description = "Lists the address table (kamctl address show).")
    static final class ListAddresses implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = {"-g", "--group"}, paramLabel = "GROUP", description = "Only this group.")
        Integer group;

        @Override
        public void run() {
            CtlDatabase database = SiprelayCtl.root(spec).database();
            database.requireExisting();
            List<AddressEntry> entries;
            try (CtlDatabase.Opened<AuthDatabase> opened = database.auth()) {
                AuthDatabase db = opened.tables();
                entries = new JdbcAddressStore(db).load().stream()
                        .filter(e -> group == null || e.group() == group).toList();
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(entries.stream().map(AddressCommand::json).toList());
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (AddressEntry e : entries) {
                rows.add(List.of(String.valueOf(e.group()), e.ip(), String.valueOf(e.mask()),
                        String.valueOf(e.port()), e.tag() == null ? "" : e.tag()));
            }
            out.table(List.of("GRP", "IP_ADDR", "MASK", "PORT", "TAG"), rows);
            out.line(entries.size() + (entries.size() == 1 ? " entry" : " entries"));
        }
    }

    @Command(name = "reload", description = "Makes the running PBX read the address table again "
            + "(kamcmd permissions.addressReload).")
    static final class Reload implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            JsonNode r = SiprelayCtl.root(spec).rpc().call("permissions.addressReload", List.of());
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
            } else {
                out.line("address table reloaded" + RpcClient.summary(r));
            }
        }
    }

    @Command(name = "dump", description = "Shows the address entries the running PBX uses "
            + "(kamcmd permissions.addressDump).")
    static final class Dump implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            JsonNode r = SiprelayCtl.root(spec).rpc().call("permissions.addressDump", List.of());
            SiprelayCtl.output(spec).printGeneric(r);
        }
    }
}
