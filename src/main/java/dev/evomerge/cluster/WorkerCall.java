package dev.evomerge.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import java.io.IOException;
import java.util.concurrent.Callable;

/**
 * The one task that travels to a worker: a signed {@link WorkerMessage}, as bytes, written by its own
 * {@link Serializer} (no Java serialization). On a worker, the member's managed context swaps it for a call
 * into the {@link ClusterWorker}; anywhere else (a driver, a member without a worker) it answers nothing.
 */
public record WorkerCall(byte[] signed) implements Callable<byte[]> {
    public WorkerCall {
        signed = signed.clone();
    }

    @Override
    public byte[] signed() {
        return signed.clone();
    }

    /** Reached only where no worker bound the call: an empty answer, which no secret verifies. */
    @Override
    public byte[] call() {
        return new byte[0];
    }

    /** Writes the signed bytes and nothing else. */
    static final class Serializer implements StreamSerializer<WorkerCall> {
        /** Hazelcast's custom serializer ids must be positive and unique in the cluster. */
        static final int TYPE_ID = 7401;

        @Override
        public void write(ObjectDataOutput out, WorkerCall call) throws IOException {
            out.writeByteArray(call.signed);
        }

        @Override
        public WorkerCall read(ObjectDataInput in) throws IOException {
            byte[] signed = in.readByteArray();
            return new WorkerCall(signed == null ? new byte[0] : signed);
        }

        @Override
        public int getTypeId() {
            return TYPE_ID;
        }
    }
}
