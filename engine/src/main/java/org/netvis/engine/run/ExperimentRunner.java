package org.netvis.engine.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.input.InputLoader;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.CompanionGraphs;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an experiment into a run directory: written under a temporary name beside its final place
 * and moved there at the end, also when the run fails or is interrupted (then with the steps that
 * completed). The manifest records everything needed to rerun it and trust the result.
 */
public final class ExperimentRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ExperimentRunner.class);
  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String RESERVE = ".space-reserve";
  private static final int RESERVE_BYTES = 512 * 1024;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final PluginRegistry plugins;
  private final ModelRegistry models;
  private final RunLog runLog;
  private final boolean terminal;
  private final EngineOptions engineDefaults;

  public ExperimentRunner(PluginRegistry plugins, ModelRegistry models, RunLog runLog, boolean terminal,
      EngineOptions engineDefaults) {
    this.plugins = plugins;
    this.models = models;
    this.runLog = runLog;
    this.terminal = terminal;
    this.engineDefaults = engineDefaults;
  }

  /** The default run directory: {@code runsRoot/<UTC timestamp>-<name>}. */
  public static Path defaultDirectory(Path runsRoot, String name, Instant now) {
    Path p = runsRoot.resolve(STAMP.format(now) + "-" + name);
    for (int i = 2; Files.exists(p); i++) {
      p = runsRoot.resolve(STAMP.format(now) + "-" + name + "-" + i);
    }
    return p;
  }

  public RunOutcome run(Experiment experiment, Path target) {
    Path finalDir = target.toAbsolutePath().normalize();
    Path parent = finalDir.getParent();
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new RunException("cannot create " + parent + ": " + e.getMessage(), e);
    }
    if (!org.netvis.engine.Directories.writable(parent)) {
      throw new RunException("output directory " + parent + " is not writable (expected a directory with write permission)");
    }
    Path lockFile = parent.resolve("." + finalDir.getFileName() + ".lock");
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new RunException("another run is writing to " + finalDir + " (locked by " + lockFile + ")");
      }
      Run run = null;
      Thread hook = null;
      try {
        if (Files.exists(finalDir) && !isEmptyDirectory(finalDir)) {
          throw new RunException("output directory " + finalDir + " already exists and is not empty");
        }
        run = new Run(experiment, finalDir);
        // The hook waits for the whole run, lock file included: the JVM halts as soon as it returns.
        hook = new Thread(run::onSignal, "netvis-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        return run.execute();
      } finally {
        lock.release();
        Files.deleteIfExists(lockFile);
        if (run != null) {
          run.finished.countDown();
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running and waits for us
          }
        }
      }
    } catch (IOException e) {
      throw new RunException("cannot lock " + lockFile + ": " + e.getMessage(), e);
    }
  }

  private static boolean isEmptyDirectory(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return false;
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  /** One execution: owns the temporary directory, the manifest and the interrupt handling. */
  private final class Run {
    private final Experiment experiment;
    private final Path finalDir;
    private final Path workDir;
    private final Map<String, Object> manifest = new LinkedHashMap<>();
    private final List<Map<String, Object>> stepRecords = new ArrayList<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean cancelled;
    private volatile Path currentStepDir;
    private boolean finalized;
    private RunOutcome outcome;

    Run(Experiment experiment, Path finalDir) {
      this.experiment = experiment;
      this.finalDir = finalDir;
      this.workDir = finalDir.resolveSibling("." + finalDir.getFileName() + ".partial");
    }

    RunOutcome execute() throws IOException {
      deleteRecursively(workDir);
      Files.createDirectories(workDir);
      reserveSpace();
      Instant start = Instant.now();
      String status = "succeeded";
      String reason = null;
      try (AutoCloseable log = runLog.attach(workDir.resolve("run.log"))) {
        LOG.info("run {} -> {}", experiment.name(), finalDir);
        JSON.writeValue(workDir.resolve("experiment.resolved.json").toFile(), experiment.toResolvedMap());
        describeEnvironment(start);
        writeManifest("running", null, null);
        try {
          runSteps();
        } catch (CancellationException e) {
          status = "interrupted";
          reason = "interrupted by a signal (Ctrl-C or SIGTERM)";
        } catch (Exception e) {
          status = "failed";
          reason = e.getMessage() == null ? e.toString() : e.getMessage();
          LOG.error("run failed: {}", reason);
          LOG.debug("failure", e);
        }
      } catch (Exception e) {
        status = "failed";
        reason = e.getMessage();
      } finally {
        finish(status, reason, start);
      }
      return outcome;
    }

    private void describeEnvironment(Instant start) {
      manifest.put("netvis", Map.of("version", BuildInfo.version(), "git_commit", BuildInfo.gitCommit()));
      manifest.put("java", Map.of("version", System.getProperty("java.version"), "vendor", System.getProperty("java.vendor")));
      manifest.put("os", Map.of("name", System.getProperty("os.name"), "version", System.getProperty("os.version"),
          "arch", System.getProperty("os.arch")));
      manifest.put("cpu", Map.of("model", cpuModel(), "cores", Runtime.getRuntime().availableProcessors()));
      manifest.put("experiment", Map.of("file", experiment.file().toString(), "name", experiment.name()));
      manifest.put("started", start.toString());
    }

    private void runSteps() throws Exception {
      ResolvedModel model = models.resolve(experiment.model());
      EngineOptions options = engineDefaults.withDevice(Device.parse(experiment.device())).withThreads(experiment.threads());
      InputLoader.Pending pending = experiment.inputFiles().isEmpty() ? null
          : new InputLoader(model.preprocessing(), experiment.maxPixels()).loadInBackground(experiment.inputFiles());
      try (Engine engine = Engine.open(model, options)) {
        Map<String, Object> runtime = runtimeRecord(engine, options);
        manifest.put("runtime", runtime);
        manifest.put("model", engine.modelRecord());
        // Before the inputs are awaited: they are still being decoded on their own thread.
        manifest.put("gradient_graph",
            graphRecord(engine.gradientGraph(VjpSpec.DEFAULT, engine.inputHeight(), engine.inputWidth())));

        // An experiment of steps that make their own images (class visualization) has no inputs.
        InputLoader.Loaded loaded = pending == null
            ? new InputLoader.Loaded(Tensor.zeros(0, engine.channels(), engine.inputHeight(), engine.inputWidth()),
                new long[0], List.of(), List.of())
            : pending.get();
        long[] labels = labels(loaded, engine);
        InputBatch inputs = new InputBatch(loaded.images(), labels, loaded.names(), loaded.sources());
        manifest.put("inputs", inputs.sources());
        manifest.put("labels", labels);
        List<Long> stepSeeds = new ArrayList<>();
        for (int i = 0; i < experiment.steps().size(); i++) {
          stepSeeds.add(Seeds.forStep(experiment.seed(), i));
        }
        manifest.put("seeds", Map.of("experiment", experiment.seed(), "steps", stepSeeds));
        manifest.put("steps", stepRecords);
        writeManifest("running", null, null);

        StepChecks.check(experiment, plugins, engine, inputs.size());
        try {
          for (int i = 0; i < experiment.steps().size(); i++) {
            checkCancelled();
            runStep(i, experiment.steps().get(i), stepSeeds.get(i), engine, model, inputs);
            // The previous step's own graphs (a layer's, a neuron's) give their memory back.
            int closed = engine.closeIdleSessions();
            if (closed > 0) {
              LOG.debug("closed {} ONNX Runtime sessions the steps no longer use", closed);
            }
          }
        } finally {
          // Once every graph the steps needed is open: which ran with basic optimizations only, and
          // the gradient batch the machine's memory allowed them.
          runtime.put("graph_optimizations", engine.graphOptimizations());
          runtime.put("gradient_batch", gradientBatch(engine));
        }
      }
    }

    private Map<String, Object> runtimeRecord(Engine engine, EngineOptions options) {
      Map<String, Object> runtime = new LinkedHashMap<>();
      runtime.put("onnxruntime_version", org.netvis.engine.runtime.OrtEnvironments.get().getVersion());
      runtime.put("execution_provider", engine.executionProvider());
      runtime.put("device", experiment.device());
      runtime.put("intra_op_threads", options.resolvedThreads());
      runtime.put("intra_op_spinning", options.spinning());
      runtime.put("gradient_batch", gradientBatch(engine));
      runtime.put("fixed_batch_sessions", engine.fixedBatchSessions());
      runtime.put("integer_kernels", options.integerKernels());
      runtime.put("forward_pass", engine.forwardPass());
      // glibc reads these once, at process start; huge pages or not moves ONNX Runtime's times.
      runtime.put("glibc_tunables", System.getenv("GLIBC_TUNABLES"));
      return runtime;
    }

    private static Object gradientBatch(Engine engine) {
      return engine.gradientBatch() == 0 ? "whole batch" : engine.gradientBatch();
    }

    private static Map<String, Object> graphRecord(CompanionGraphs.Companion graph) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("path", graph.file() == null ? null : graph.file().toString());
      record.put("sha256", graph.sha256());
      record.put("derived_now", graph.rebuilt());
      return record;
    }

    private long[] labels(InputLoader.Loaded loaded, Engine engine) {
      int n = (int) loaded.images().dim(0);
      if (experiment.labels() != null) {
        if (experiment.labels().size() != n) {
          throw new IllegalArgumentException(experiment.file() + ": labels: " + experiment.labels().size()
              + " labels for " + n + " images; expected one label per image");
        }
        return experiment.labels().stream().mapToLong(Long::longValue).toArray();
      }
      if (loaded.labels() != null) {
        return loaded.labels();
      }
      if (n == 0) {
        return new long[0];
      }
      Tensor scores = engine.scores(loaded.images());
      long[] top = new long[n];
      for (int i = 0; i < n; i++) {
        top[i] = org.netvis.engine.tensor.ClassScores.argmax(scores, i);
      }
      LOG.info("no labels given: using the model's top-1 predictions {}", java.util.Arrays.toString(top));
      return top;
    }

    private void runStep(int index, Experiment.Step step, long seed, Engine engine, ResolvedModel model,
        InputBatch inputs) throws Exception {
      String dirName = index + "-" + step.technique();
      Path dir = workDir.resolve(dirName);
      Files.createDirectories(dir);
      currentStepDir = dir;
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("index", index);
      record.put("technique", step.technique());
      record.put("seed", seed);
      record.put("directory", dirName);
      record.put("status", "running");
      stepRecords.add(record);
      long t0 = System.nanoTime();
      long ort0 = engine.onnxRuntimeNanos();
      long load0 = engine.sessionLoadNanos();
      Logger stepLog = LoggerFactory.getLogger("netvis.step." + step.technique());
      LOG.info("step {}: {}", index, step.technique());
      try {
        Technique<Record> technique = plugins.instantiate(step.technique());
        StepContext ctx = new StepEnvironment(engine, model, select(inputs, step), seed, dir, stepLog,
            plugins.attributions(), (task, total) -> ConsoleProgress.create(terminal, task, total, this::checkCancelled),
            this::checkCancelled, i -> i);
        StepResult result;
        try {
          result = technique.run(ctx, step.parameters());
        } catch (CancellationException e) {
          throw e;
        } catch (Exception | LinkageError e) {
          throw new StepFailure("step " + index + " (" + step.technique() + ") failed: "
              + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        Map<String, Object> results = new LinkedHashMap<>(result.values());
        results.put("files", listFiles(dir));
        JSON.writeValue(dir.resolve("results.json").toFile(), results);
        record.put("status", "succeeded");
      } catch (StepFailure | RuntimeException e) {
        record.put("status", e instanceof CancellationException ? "interrupted" : "failed");
        record.put("error", e.getMessage());
        // A step that did not complete leaves nothing half-written behind.
        deleteRecursively(dir);
        record.remove("directory");
        throw e;
      } finally {
        long wall = System.nanoTime() - t0;
        long ort = engine.onnxRuntimeNanos() - ort0;
        long load = engine.sessionLoadNanos() - load0;
        record.put("seconds", wall / 1e9);
        // Where the step's time went: inside ONNX Runtime (its run calls, and loading the session of a
        // graph the step is the first to use), or in netvis and the technique.
        record.put("onnxruntime_seconds", ort / 1e9);
        record.put("onnxruntime_load_seconds", load / 1e9);
        record.put("outside_onnxruntime_share", wall > 0 ? Math.max(0, wall - ort - load) / (double) wall : 0);
        currentStepDir = null;
      }
      LOG.info("step {} done in {} s", index, String.format("%.2f", record.get("seconds")));
    }

    private InputBatch select(InputBatch all, Experiment.Step step) {
      if (step.images() == null) {
        return all;
      }
      List<Tensor> parts = new ArrayList<>();
      long[] labels = new long[step.images().size()];
      List<String> names = new ArrayList<>();
      for (int k = 0; k < step.images().size(); k++) {
        int i = step.images().get(k); // within the inputs: StepChecks
        parts.add(all.images().slice(i, i + 1));
        labels[k] = all.labels()[i];
        names.add(all.names().get(i));
      }
      return new InputBatch(Tensor.concat(parts), labels, names, all.sources());
    }

    private List<String> listFiles(Path dir) throws IOException {
      try (Stream<Path> s = Files.walk(dir)) {
        return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
      }
    }

    private void checkCancelled() {
      if (cancelled) {
        throw new CancellationException("interrupted");
      }
    }

    private void writeManifest(String status, String reason, Instant end) throws IOException {
      Map<String, Object> m = new LinkedHashMap<>(manifest);
      m.put("status", status);
      if (reason != null) {
        m.put("reason", reason);
      }
      if (end != null) {
        m.put("ended", end.toString());
      }
      Path tmp = workDir.resolve("manifest.json.tmp");
      JSON.writeValue(tmp.toFile(), m);
      Files.move(tmp, workDir.resolve("manifest.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A full disk must not keep a failed run from recording why: space for the final manifest and
     * report is set aside at the start and given back just before they are written.
     */
    private void reserveSpace() throws IOException {
      try (FileChannel ch = FileChannel.open(workDir.resolve(RESERVE), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(64 * 1024);
        for (int i = 0; i < RESERVE_BYTES / zeros.capacity(); i++) {
          zeros.rewind();
          ch.write(zeros);
        }
        ch.force(true);
      }
    }

    /** Writes the final manifest and moves the run into place, once, from whichever thread gets here first. */
    private synchronized void finish(String status, String reason, Instant start) {
      if (finalized) {
        return;
      }
      finalized = true;
      Instant end = Instant.now();
      manifest.put("duration_seconds", (end.toEpochMilli() - start.toEpochMilli()) / 1000.0);
      try {
        Files.deleteIfExists(workDir.resolve(RESERVE));
        Path partial = currentStepDir;
        if (partial != null) {
          deleteRecursively(partial);
        }
        writeManifest(status, reason, end);
        try {
          org.netvis.engine.report.RunReport.write(workDir);
        } catch (IOException | RuntimeException e) {
          LOG.warn("could not write the report: {}", e.toString());
        }
        Files.deleteIfExists(finalDir);
        Files.move(workDir, finalDir, StandardCopyOption.ATOMIC_MOVE);
        outcome = new RunOutcome(finalDir, status, reason);
        // The directory was named when the run started; the command prints it again on stdout.
        LOG.info("run {} in {} s", status, String.format("%.2f", manifest.get("duration_seconds")));
      } catch (IOException e) {
        outcome = new RunOutcome(workDir, "failed", "could not finish the run directory: " + e.getMessage());
        LOG.error("could not finish the run directory {}: {}", workDir, e.getMessage());
      }
    }

    private void onSignal() {
      cancelled = true;
      try {
        if (!finished.await(20, TimeUnit.SECONDS)) {
          finish("interrupted", "interrupted by a signal (Ctrl-C or SIGTERM)", Instant.parse((String) manifest.get("started")));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

  }

  /** A technique threw: the message names the step and the technique. */
  static final class StepFailure extends Exception {
    StepFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }
}
