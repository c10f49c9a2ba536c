package io.siprelay.examples.management;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.dispatcher.Destination;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.dispatcher.DispatcherReloadException;
import io.siprelay.permissions.AddressEntry;
import io.siprelay.permissions.ReloadResult;
import io.siprelay.registrar.ul.UlAor;
import io.siprelay.registrar.ul.UlDump;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The PBX's RPC methods, named as in Kamailio ({@code kamcmd ul.dump}, {@code dispatcher.set_state ip 1 sip:...}) and
 * answering in Kamailio's JSON shapes where Kamailio has one.
 *
 * <table>
 *   <caption>methods</caption>
 *   <tr><td>ul.dump</td><td>[] or ["brief"]</td></tr>
 *   <tr><td>ul.lookup</td><td>[aor] (or ["location", aor] as kamcmd)</td></tr>
 *   <tr><td>ul.rm</td><td>[aor] (or ["location", aor])</td></tr>
 *   <tr><td>dispatcher.list</td><td>[]</td></tr>
 *   <tr><td>dispatcher.reload</td><td>[]</td></tr>
 *   <tr><td>dispatcher.set_state</td><td>[state, setid, uri|"all"]; state a|i|t|d then p or x</td></tr>
 *   <tr><td>permissions.addressReload</td><td>[]</td></tr>
 *   <tr><td>permissions.addressDump</td><td>[]</td></tr>
 *   <tr><td>stats.get</td><td>[] or ["all"]</td></tr>
 *   <tr><td>core.version</td><td>[]</td></tr>
 *   <tr><td>rtpengine.show, .enable, .reload, .ping</td><td>see {@link RtpEngineRpc}</td></tr>
 * </table>
 */
public final class PbxRpc {

    private PbxRpc() {
    }

    /** A dispatcher with every method of {@code pbx} registered. */
    public static JsonRpc create(ManagedPbx pbx, ObjectMapper mapper) {
        JsonRpc rpc = new JsonRpc(mapper);
        rpc.register("ul.dump", p -> {
            p.expect(0, 1, "[] or [\"brief\"]");
            String mode = p.optionalString(0, "mode");
            if (mode != null && !mode.equalsIgnoreCase("brief")) {
                throw RpcException.invalidParams("the only option is \"brief\", got \"" + mode + "\"");
            }
            UlDump d = pbx.registrar().locationService().dump(mode != null);
            return d;
        });
        rpc.register("ul.lookup", p -> {
            String aor = aor(p);
            Optional<UlAor> r = pbx.registrar().locationService().lookup(aor);
            if (r.isEmpty()) {
                throw new RpcException(RpcException.NOT_FOUND, "AOR not found");
            }
            return r.get();
        });
        rpc.register("ul.rm", p -> {
            String aor = aor(p);
            int n = pbx.registrar().locationService().remove(aor);
            if (n == 0) {
                throw new RpcException(RpcException.NOT_FOUND, "AOR not found");
            }
            return Map.of("removed", n);
        });
        rpc.register("dispatcher.list", p -> {
            p.expect(0, 0, "no parameters");
            return pbx.dispatcher().list();
        });
        rpc.register("dispatcher.reload", p -> {
            p.expect(0, 0, "no parameters");
            try {
                return Map.of("destinations", pbx.dispatcher().reload());
            } catch (DispatcherReloadException e) {
                throw new RpcException(RpcException.FAILED, e.getMessage());
            }
        });
        rpc.register("dispatcher.set_state", p -> {
            p.expect(3, 3, "[state, setid, uri|\"all\"]");
            String state = normalizeState(p.string(0, "state"));
            int set = p.integer(1, "setid");
            String uri = p.string(2, "uri");
            Dispatcher ds = pbx.dispatcher();
            int n;
            try {
                n = ds.setState(state, set, uri);
            } catch (IllegalArgumentException e) {
                throw RpcException.invalidParams(e.getMessage());
            }
            if (n == 0) {
                throw new RpcException(RpcException.NOT_FOUND, "destination not found: set " + set + " " + uri);
            }
            List<Map<String, Object>> changed = new ArrayList<>();
            for (Destination d : ds.destinations(set)) {
                if (uri.equalsIgnoreCase("all") || d.uri().equals(uri)) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("URI", d.uri());
                    m.put("FLAGS", d.state());
                    changed.add(m);
                }
            }
            return Map.of("updated", n, "targets", changed);
        });
        rpc.register("permissions.addressReload", p -> {
            p.expect(0, 0, "no parameters");
            ReloadResult r = pbx.permissions().reload();
            if (!r.ok()) {
                throw new RpcException(RpcException.FAILED, "reload failed, old data kept: " + r.error());
            }
            return Map.of("entries", r.entries());
        });
        rpc.register("permissions.addressDump", p -> {
            p.expect(0, 0, "no parameters");
            List<Map<String, Object>> out = new ArrayList<>();
            for (AddressEntry e : pbx.permissions().entries()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("gid", e.group());
                m.put("ip", e.ip());
                m.put("mask", e.mask());
                m.put("port", e.port());
                m.put("tag", e.tag());
                out.add(m);
            }
            return out;
        });
        rpc.register("stats.get", p -> {
            p.expect(0, 1, "[] or [\"all\"]");
            String group = p.optionalString(0, "group");
            if (group != null && !group.equalsIgnoreCase("all")) {
                throw RpcException.invalidParams("the only group is \"all\", got \"" + group + "\"");
            }
            return stats(pbx);
        });
        rpc.register("core.version", p -> {
            p.expect(0, 0, "no parameters");
            return "SipRelay " + pbx.version() + " (Java " + System.getProperty("java.version") + ")";
        });
        RtpEngineRpc.register(rpc, pbx.rtpEngine(), pbx.media());
        return rpc;
    }

    /** Everything {@code stats.get} returns. */
    public static Map<String, Object> stats(ManagedPbx pbx) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> core = new LinkedHashMap<>(pbx.proxy().stats().snapshot());
        core.put("active_relays", pbx.proxy().activeRelays());
        core.put("uptime_seconds", (System.currentTimeMillis() - pbx.startedMillis()) / 1000);
        m.put("core", core);
        m.put("pbx", pbx.counters().snapshot());
        UlDump.Domain d = pbx.registrar().locationService().dump(false).domains().get(0).domain();
        int contacts = 0;
        for (UlDump.AorEntry a : d.aors()) {
            contacts += a.info().contacts() == null ? 0 : a.info().contacts().size();
        }
        m.put("usrloc", Map.of("registered_aors", d.size(), "registered_contacts", contacts));
        m.put("auth", Map.of("subscribers", pbx.subscribers().count(), "tracked_nonces",
                pbx.auth().trackedNonces()));
        m.put("permissions", Map.of("address_entries", pbx.permissions().size()));
        m.put("dispatcher", dispatcherStates(pbx.dispatcher()));
        m.put("pike", Map.of("dropped", pbx.flood().dropped(), "blocks_started", pbx.flood().blocksStarted(),
                "blocked_sources", pbx.flood().blockedSources().size()));
        if (pbx.media() != null) {
            m.put("rtpengine", pbx.media().stats());
        }
        return m;
    }

    /** Destinations by state letter pair (AP, IP, DX...) per set. */
    public static Map<String, Object> dispatcherStates(Dispatcher ds) {
        Map<String, Object> sets = new TreeMap<>();
        for (int id : ds.setIds()) {
            Map<String, Integer> states = new TreeMap<>();
            for (Destination d : ds.destinations(id)) {
                states.merge(d.state(), 1, Integer::sum);
            }
            sets.put(Integer.toString(id), states);
        }
        return Map.of("sets", sets);
    }

    /** kamcmd's {@code [table, aor]} or our {@code [aor]}. */
    private static String aor(RpcParams p) throws RpcException {
        p.expect(1, 2, "[aor] or [\"location\", aor]");
        if (p.size() == 2) {
            String table = p.string(0, "table");
            if (!table.equals("location")) {
                throw RpcException.invalidParams("unknown table \"" + table + "\" (the PBX has \"location\")");
            }
            return nonEmpty(p.string(1, "aor"));
        }
        return nonEmpty(p.string(0, "aor"));
    }

    private static String nonEmpty(String aor) throws RpcException {
        if (aor.isBlank()) {
            throw RpcException.invalidParams("aor must not be empty");
        }
        return aor;
    }

    /**
     * kamcmd's state letters: {@code a|i|t|d} (active, inactive, trying, disabled), then {@code p} (probing) or
     * {@code x} (not probing, as {@code dispatcher.list} prints it), e.g. {@code ip}, {@code dx}, {@code AP}.
     */
    static String normalizeState(String s) throws RpcException {
        String v = s.toLowerCase(Locale.ROOT);
        if (!v.matches("[aitd][px]?")) {
            throw RpcException.invalidParams("state must be a, i, t or d, optionally followed by p or x; got \""
                    + s + "\"");
        }
        return v.endsWith("x") ? v.substring(0, 1) : v;
    }
}
