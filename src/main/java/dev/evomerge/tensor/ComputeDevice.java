package dev.evomerge.tensor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.evomerge.EvomergeException;

/**
 * Where candidate tensors live: {@code auto} (the first GPU if the engine sees one, else CPU), {@code cpu},
 * {@code gpu} or {@code gpu:N}. Code never branches on the device; it only passes it to DJL.
 */
public record ComputeDevice(String spec) {
    public ComputeDevice {
        if (!spec.matches("auto|cpu|gpu(:\\d+)?")) {
            throw new EvomergeException("bad device '" + spec + "': use auto, cpu, gpu or gpu:N");
        }
    }

    public static ComputeDevice of(String spec) {
        return new ComputeDevice(spec.trim().toLowerCase(java.util.Locale.ROOT));
    }

    /** The DJL device; asks the engine only for {@code auto} and {@code gpu}. */
    public Device resolve() {
        if (spec.equals("cpu")) {
            return Device.cpu();
        }
        int gpus = Engine.getInstance().getGpuCount();
        if (spec.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        int index = spec.contains(":") ? Integer.parseInt(spec.substring(spec.indexOf(':') + 1)) : 0;
        if (index >= gpus) {
            throw new EvomergeException("device " + spec + " asked for, but the engine sees " + gpus
                    + " GPU(s); use --device cpu, or build with mvn -Pcuda on a machine with a GPU");
        }
        return Device.gpu(index);
    }

    @Override
    public String toString() {
        return spec;
    }
}
