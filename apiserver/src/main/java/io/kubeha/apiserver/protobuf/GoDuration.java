package io.kubeha.apiserver.protobuf;

/** Go's {@code time.Duration} text ("1h2m3.5s", "300ms", "0s"), as metav1.Duration is written in JSON. */
final class GoDuration {
    private GoDuration() {}

    private static final long US = 1_000L, MS = 1_000_000L, S = 1_000_000_000L, M = 60 * S, H = 60 * M;

    static String format(long nanos) {
        if (nanos == 0) return "0s";
        StringBuilder sb = new StringBuilder();
        if (nanos < 0) {
            sb.append('-');
            nanos = -nanos; // Long.MIN_VALUE is not a duration anyone sends
        }
        if (nanos < S) {
            // under a second: one unit with a fraction, as Go does
            if (nanos < US) return sb.append(nanos).append("ns").toString();
            if (nanos < MS) return sb.append(fraction(nanos, US)).append("µs").toString();
            return sb.append(fraction(nanos, MS)).append("ms").toString();
        }
        long h = nanos / H, m = (nanos % H) / M, rest = nanos % M;
        if (h > 0) sb.append(h).append('h');
        if (h > 0 || m > 0) sb.append(m).append('m');
        return sb.append(fraction(rest, S)).append('s').toString();
    }

    private static String fraction(long value, long unit) {
        long whole = value / unit, frac = value % unit;
        if (frac == 0) return Long.toString(whole);
        String digits = String.format("%0" + Long.toString(unit).length() + "d", frac).substring(1).replaceAll("0+$", "");
        return whole + "." + digits;
    }

    static long parse(String s) {
        String t = s.strip();
        if (t.equals("0")) return 0;
        boolean negative = t.startsWith("-");
        if (negative || t.startsWith("+")) t = t.substring(1);
        if (t.isEmpty()) throw new ProtoJson.ConversionException("not a duration: \"" + s + "\"");
        long total = 0;
        int i = 0;
        while (i < t.length()) {
            int start = i;
            while (i < t.length() && (Character.isDigit(t.charAt(i)) || t.charAt(i) == '.')) i++;
            if (start == i) throw new ProtoJson.ConversionException("not a duration: \"" + s + "\"");
            double number = Double.parseDouble(t.substring(start, i));
            int unitStart = i;
            while (i < t.length() && !Character.isDigit(t.charAt(i)) && t.charAt(i) != '.') i++;
            long unit = switch (t.substring(unitStart, i)) {
                case "ns" -> 1;
                case "us", "µs", "μs" -> US;
                case "ms" -> MS;
                case "s" -> S;
                case "m" -> M;
                case "h" -> H;
                default -> throw new ProtoJson.ConversionException("not a duration: \"" + s + "\"");
            };
            total += Math.round(number * unit);
        }
        return negative ? -total : total;
    }
}
