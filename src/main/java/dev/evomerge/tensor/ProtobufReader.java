package dev.evomerge.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the protobuf wire format from one byte range of an untrusted file, field by field: every varint is
 * at most ten bytes, every length fits the range it is read from, groups and unknown wire types are refused.
 * A failure is a {@link Malformed} with the offset in the file; the caller adds the file's name.
 *
 * @implNote not thread-safe (a cursor); reads the segment, never copies it.
 */
final class ProtobufReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What is wrong with the bytes, and where (an offset into the file). */
    static final class Malformed extends RuntimeException {
        private final long offset;

        Malformed(String message, long offset) {
            super(message, null, false, false);
            this.offset = offset;
        }

        long offset() {
            return offset;
        }
    }

    /**
     * One field: its number and wire type, where it starts (its tag) and ends, and its value: the number for
     * varint and fixed fields, the payload's range for length-delimited ones.
     */
    record Field(int number, int wireType, long start, long end, long value, long payloadStart, long payloadEnd) {
        long payloadLength() {
            return payloadEnd - payloadStart;
        }
    }

    private final MemorySegment bytes;
    private final long end;
    private long position;

    /** A reader of {@code bytes[from, to)}; the range must lie in {@code bytes}. */
    ProtobufReader(MemorySegment bytes, long from, long to) {
        if (from < 0 || to < from || to > bytes.byteSize()) {
            throw new IllegalArgumentException("range " + from + ".." + to + " outside " + bytes.byteSize() + " bytes");
        }
        this.bytes = bytes;
        this.position = from;
        this.end = to;
    }

    /** A reader of a length-delimited field's payload. */
    ProtobufReader payload(Field field) {
        return new ProtobufReader(bytes, field.payloadStart(), field.payloadEnd());
    }

    boolean hasNext() {
        return position < end;
    }

    Field next() {
        long start = position;
        long tag = varint();
        int wireType = (int) (tag & 7);
        long number = tag >>> 3;
        if (number < 1 || number > 536_870_911L) {
            throw new Malformed("field number " + number + " is not a protobuf field number", start);
        }
        return switch (wireType) {
            case VARINT -> {
                long value = varint();
                yield new Field((int) number, wireType, start, position, value, 0, 0);
            }
            case FIXED64 -> {
                need(8, "a 64-bit field");
                long value = bytes.get(LONG_LE, position);
                position += 8;
                yield new Field((int) number, wireType, start, position, value, 0, 0);
            }
            case FIXED32 -> {
                need(4, "a 32-bit field");
                long value = bytes.get(INT_LE, position) & 0xFFFF_FFFFL;
                position += 4;
                yield new Field((int) number, wireType, start, position, value, 0, 0);
            }
            case LENGTH_DELIMITED -> {
                long lengthAt = position;
                long length = varint();
                if (length < 0 || length > end - position) {
                    throw new Malformed("field " + number + " claims " + Long.toUnsignedString(length) + " bytes but only "
                            + (end - position) + " remain in its message: truncated or corrupt", lengthAt);
                }
                long payload = position;
                position += length;
                yield new Field((int) number, wireType, start, position, 0, payload, position);
            }
            default -> throw new Malformed("field " + number + " has wire type " + wireType
                    + " (groups and unknown types are not in ONNX files)", start);
        };
    }

    /** A length-delimited field's payload as UTF-8 text. */
    String string(Field field) {
        expect(field, LENGTH_DELIMITED);
        if (field.payloadLength() > Integer.MAX_VALUE - 8) {
            throw new Malformed("field " + field.number() + ": a string of " + field.payloadLength() + " bytes", field.start());
        }
        byte[] raw = bytes.asSlice(field.payloadStart(), field.payloadLength()).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("field " + field.number() + " is not valid UTF-8 text", field.payloadStart());
        }
    }

    /** Checks that {@code field} has the wire type its number has in the schema. */
    static void expect(Field field, int wireType) {
        if (field.wireType() != wireType) {
            throw new Malformed("field " + field.number() + " has wire type " + field.wireType() + " where the schema has "
                    + wireType, field.start());
        }
    }

    /** The varints of a packed repeated field. */
    long[] packedVarints(Field field) {
        expect(field, LENGTH_DELIMITED);
        ProtobufReader in = payload(field);
        long count = 0;
        while (in.hasNext()) {
            in.varint();
            count++;
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new Malformed("field " + field.number() + ": " + count + " packed values", field.start());
        }
        long[] values = new long[(int) count];
        in = payload(field);
        for (int i = 0; i < values.length; i++) {
            values[i] = in.varint();
        }
        return values;
    }

    private long varint() {
        long start = position;
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                throw new Malformed("a varint runs past the end of its message: truncated or corrupt", start);
            }
            byte b = bytes.get(ValueLayout.JAVA_BYTE, position++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                if (shift == 63 && (b & 0x7F) > 1) {
                    throw new Malformed("a varint overflows 64 bits", start);
                }
                return result;
            }
        }
        throw new Malformed("a varint longer than ten bytes", start);
    }

    private void need(long count, String what) {
        if (end - position < count) {
            throw new Malformed(what + " runs past the end of its message: truncated or corrupt", position);
        }
    }

    /** The bytes of a varint encoding {@code value}. */
    static byte[] encodeVarint(long value) {
        byte[] out = new byte[varintSize(value)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (i == out.length - 1 ? value & 0x7F : (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        return out;
    }

    static int varintSize(long value) {
        int size = 1;
        while ((value & ~0x7FL) != 0) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    /** A field's tag: its number and wire type. */
    static byte[] tag(int number, int wireType) {
        return encodeVarint(((long) number << 3) | wireType);
    }
}
