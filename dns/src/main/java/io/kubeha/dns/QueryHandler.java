package io.kubeha.dns;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One DNS exchange, bytes in and bytes out, whatever the transport: parses the query with dnsjava, answers names
 * in the cluster domain (and reverse names of cluster IPs) from the {@link ClusterZone}, forwards everything else,
 * and encodes the reply within the size the client can take over UDP (512 bytes, or its EDNS buffer size), setting
 * TC when it does not fit so the client retries over TCP. A packet that cannot be parsed gets FORMERR (when at
 * least its header can be read), an opcode other than QUERY NOTIMP; nothing a client sends makes it throw.
 */
final class QueryHandler {
    static final int EDNS_PAYLOAD = 1232;
    private static final int MAX_CHASE = 8;

    private final ClusterZone zone;
    private final ClusterView view;
    private final Forwarder forwarder; // null: no upstream

    QueryHandler(ClusterZone zone, ClusterView view, Forwarder forwarder) {
        this.zone = zone;
        this.view = view;
        this.forwarder = forwarder;
    }

    /** The reply to a packet, or null when there is nothing to answer (not a query, or not even a header). */
    byte[] handle(byte[] packet, boolean udp) {
        if (packet.length < Header.LENGTH) return null;
        Message query;
        try {
            query = new Message(packet);
        } catch (IOException | RuntimeException e) {
            return formerr(packet);
        }
        Header qh = query.getHeader();
        if (qh.getFlag(Flags.QR)) return null; // a response: answering it could start a loop
        Message reply = reply(query);
        int max = 65535;
        if (udp) {
            OPTRecord opt = query.getOPT();
            max = opt == null ? 512 : Math.max(512, Math.min(opt.getPayloadSize(), 4096));
        }
        return reply.toWire(max);
    }

    private static byte[] formerr(byte[] packet) {
        Header h;
        try {
            h = new Header(packet);
        } catch (IOException e) {
            return null;
        }
        if (h.getFlag(Flags.QR)) return null;
        Header r = new Header(h.getID());
        r.setFlag(Flags.QR);
        r.setOpcode(h.getOpcode());
        if (h.getFlag(Flags.RD)) r.setFlag(Flags.RD);
        r.setRcode(Rcode.FORMERR);
        Message m = new Message();
        m.setHeader(r);
        return m.toWire();
    }

    Message reply(Message query) {
        Header qh = query.getHeader();
        Message reply = new Message(qh.getID());
        Header h = reply.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(qh.getOpcode());
        if (qh.getFlag(Flags.RD)) h.setFlag(Flags.RD);
        if (forwarder != null) h.setFlag(Flags.RA);
        if (query.getOPT() != null) reply.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);

        if (qh.getOpcode() != Opcode.QUERY) {
            h.setRcode(Rcode.NOTIMP);
            return reply;
        }
        List<Record> questions = query.getSection(Section.QUESTION);
        if (questions.size() != 1) {
            h.setRcode(Rcode.FORMERR);
            return reply;
        }
        Record q = questions.get(0);
        reply.addRecord(q, Section.QUESTION);
        Name qname = q.getName();
        int qtype = q.getType();
        if (q.getDClass() != DClass.IN && q.getDClass() != DClass.ANY) {
            h.setRcode(Rcode.REFUSED);
            return reply;
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR || qtype == Type.MAILA || qtype == Type.MAILB) { // AXFR, IXFR, ...: not served
            h.setRcode(Rcode.NOTIMP);
            return reply;
        }

        ClusterZone.Answer a = null;
        boolean ours = zone.inZone(qname) || ClusterZone.isReverse(qname);
        if (ours && !view.synced()) {
            // an NXDOMAIN now would be cached by clients for a name that exists: have them retry instead
            h.setRcode(Rcode.SERVFAIL);
            return reply;
        }
        if (zone.inZone(qname)) {
            a = chase(zone.answer(qname, qtype), qtype, 0);
        } else if (ClusterZone.isReverse(qname)) {
            a = zone.reverse(qname, qtype);
        }
        if (a != null) {
            h.setFlag(Flags.AA);
            fill(reply, a.rcode(), a.answer(), a.authority(), a.additional());
            return reply;
        }
        ResponseCache.Entry e = forward(qname, qtype);
        if (e == null) {
            h.setRcode(forwarder == null ? Rcode.REFUSED : Rcode.SERVFAIL);
            return reply;
        }
        fill(reply, e.rcode(), e.answer(), e.authority(), e.additional());
        return reply;
    }

    private ResponseCache.Entry forward(Name qname, int qtype) {
        return forwarder == null ? null : forwarder.resolve(qname, qtype, DClass.IN);
    }

    /**
     * An ExternalName answer is a CNAME; a stub resolver does not chase it itself, so the target's records are
     * added as CoreDNS does: from the zone when the target is in the cluster, else from upstream.
     */
    private ClusterZone.Answer chase(ClusterZone.Answer a, int qtype, int depth) {
        if (qtype == Type.CNAME || qtype == Type.ANY || a.answer().isEmpty()) return a;
        Record last = a.answer().get(a.answer().size() - 1);
        if (!(last instanceof CNAMERecord cname) || depth >= MAX_CHASE) return a;
        Name target = cname.getTarget();
        List<Record> answer = new ArrayList<>(a.answer());
        if (zone.inZone(target)) {
            ClusterZone.Answer next = chase(zone.answer(target, qtype), qtype, depth + 1);
            answer.addAll(next.answer());
            return new ClusterZone.Answer(next.rcode(), answer, next.authority(), next.additional());
        }
        ResponseCache.Entry e = forward(target, qtype);
        if (e == null) return a; // the CNAME alone: the client may still chase it
        answer.addAll(e.answer());
        return new ClusterZone.Answer(e.rcode(), answer, e.authority(), List.of());
    }

    private static void fill(Message reply, int rcode, List<Record> answer, List<Record> authority, List<Record> additional) {
        reply.getHeader().setRcode(rcode);
        for (Record r : answer) reply.addRecord(r, Section.ANSWER);
        for (Record r : authority) reply.addRecord(r, Section.AUTHORITY);
        for (Record r : additional) reply.addRecord(r, Section.ADDITIONAL);
    }
}
