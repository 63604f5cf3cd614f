package org.netvis.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What every task needs to know, shipped to the executors with the job (small and serializable;
 * executors load the experiment file and the model themselves, as the driver did).
 *
 * @param experiment the experiment file
 * @param overrides its {@code --set} overrides
 * @param out the run directory (on a file system every executor sees)
 * @param graphFile the gradient graph the driver derived, as a path within a companion-graph cache
 *     ({@code HASH/NAME.vjp.onnx}); the file itself travels with the job ({@code SparkContext.addFile})
 * @param steps the experiment's step indices to run (every one; all per-image)
 * @param stepSeeds each step's seed, as {@code netvis run} derives it
 * @param batchSize images per gradient batch within a partition
 * @param failOnBadInput whether an unreadable image fails the job instead of becoming an error row
 * @param failOnce a test hook: the partition whose first attempt fails after writing (-1: none)
 * @param threads ONNX Runtime intra-op threads per task (0: its default, every core), so that
 *     concurrent tasks share the cores instead of each claiming all of them
 */
record JobSpec(String experiment, List<String> overrides, String out, String graphFile, String model, String device,
    List<Integer> steps, List<Long> stepSeeds, int batchSize, boolean failOnBadInput, int failOnce, int threads)
    implements Serializable {
  JobSpec {
    overrides = List.copyOf(overrides);
    steps = List.copyOf(steps);
    stepSeeds = List.copyOf(stepSeeds);
  }
}
