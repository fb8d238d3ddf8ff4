package dev.evomerge.tensor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
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

    /**
     * The DJL device. Starts the engine only where a GPU is visible and the question is whether the engine can
     * use it: the engine counts the GPUs that the CUDA runtime sees (none without one), and only if its native
     * build has CUDA, so with no CUDA GPU the answer is CPU without loading the engine's native library.
     */
    public Device resolve() {
        if (spec.equals("cpu")) {
            return Device.cpu();
        }
        int gpus = CudaUtils.getGpuCount() == 0 ? 0 : Engine.getInstance().getGpuCount();
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
