package io.kubeha.apiserver.alloc;

/**
 * The NodePort range ({@code --service-node-port-range}), inclusive at both ends; kube-apiserver's default
 * is {@code 30000-32767}.
 */
public record PortRange(int first, int last) {
    public static final PortRange DEFAULT = new PortRange(30000, 32767);

    public PortRange {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("a port range must lie within 1-65535 with first <= last, was "
                    + first + "-" + last);
        }
    }

    /** Parses {@code 30000-32767}, or a single port. */
    public static PortRange parse(String range) {
        if (range == null || range.isBlank()) throw new IllegalArgumentException("a port range is needed, as in 30000-32767");
        String s = range.strip();
        int dash = s.indexOf('-');
        try {
            if (dash < 0) {
                int p = Integer.parseInt(s);
                return new PortRange(p, p);
            }
            return new PortRange(Integer.parseInt(s.substring(0, dash).strip()), Integer.parseInt(s.substring(dash + 1).strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port range '" + range + "' must look like 30000-32767");
        }
    }

    public int size() {
        return last - first + 1;
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    /** As kube-apiserver prints a range in its messages: {@code 30000-32767}. */
    @Override
    public String toString() {
        return first + "-" + last;
    }
}
