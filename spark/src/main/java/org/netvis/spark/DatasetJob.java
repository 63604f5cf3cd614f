package org.netvis.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.experiment.ExperimentLoader;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.input.InputLoader;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.run.BuildInfo;
import org.netvis.engine.run.Seeds;
import org.netvis.engine.run.StepChecks;
import org.netvis.engine.runtime.CompanionGraphs;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An experiment's per-image steps over a data set on Spark. The driver loads and checks the
 * experiment, lists the images (never decoding them), derives the gradient graph once, and hands
 * contiguous slices of the data set to {@link PartitionTask}s; it then writes one Parquet table per
 * step (one row per image), the manifest and a report.
 */
public final class DatasetJob {
  private static final Logger LOG = LoggerFactory.getLogger(DatasetJob.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * What the job was asked to do. {@code table}: a Parquet table of encoded images (column
   * {@code image}, optional {@code label} and {@code id}) read by Spark in place of the experiment's
   * inputs; {@code folderLabels}: a class list (one class per line, its first word the folder name,
   * as ImageNet's LOC_synset_mapping.txt) giving each image file the class of its folder;
   * {@code failOnce} is a test hook (-1: off).
   */
  public record Options(String master, int partitions, int batchSize, boolean failOnBadInput, int failOnce,
      Path table, Path folderLabels) {
    public Options(String master, int partitions, int batchSize, boolean failOnBadInput, int failOnce) {
      this(master, partitions, batchSize, failOnBadInput, failOnce, null, null);
    }
  }

  /** Images and errors per step, and where the tables are. */
  public record Outcome(Path directory, long images, long errors, double seconds) {}

  private DatasetJob() {}

  public static Outcome run(Path experimentFile, List<String> overrides, Path out, Options options) throws Exception {
    long t0 = System.nanoTime();
    Instant start = Instant.now();
    PluginRegistry plugins = PluginRegistry.discover(List.of());
    ModelRegistry models = ModelRegistry.fromEnvironment(false);
    Experiment e = new ExperimentLoader(plugins, models,
        org.netvis.engine.dataset.DatasetRegistry.fromEnvironment(false)).load(experimentFile, overrides);
    List<Integer> steps = new ArrayList<>();
    List<Long> seeds = new ArrayList<>();
    for (int i = 0; i < e.steps().size(); i++) {
      Experiment.Step s = e.steps().get(i);
      var provider = plugins.find(s.technique()).orElseThrow().provider();
      if (!provider.perImage()) {
        throw new IllegalArgumentException(e.file() + ": steps[" + i + "]: '" + s.technique() + "' is not a per-image"
            + " technique (it makes its own images or compares across the whole set); run it with `netvis run`");
      }
      if (s.images() != null) {
        throw new IllegalArgumentException(e.file() + ": steps[" + i + "].images: a dataset-scale run takes every image;"
            + " drop `images:` or run it with `netvis run`");
      }
      steps.add(i);
      seeds.add(Seeds.forStep(e.seed(), i));
    }
    if (e.inputFiles().isEmpty() && options.table() == null) {
      throw new IllegalArgumentException(e.file() + ": inputs: a dataset-scale run needs input images (or --table)");
    }
    Files.createDirectories(out);
    List<ImageItem> items = options.table() == null ? items(e, folderLabels(options.folderLabels())) : null;
    // The gradient graph, derived once here (into _graph/, or beside a model whose directory is
    // writable) and shipped to the executors with the job.
    Path graphCache = out.resolve("_graph");
    CompanionGraphs.Companion graph;
    ResolvedModel model;
    Map<String, Object> modelRecord;
    String forwardPass;
    try (Engine engine = Engine.open(models.resolve(e.model()), EngineOptions.defaults().withCompanionCache(graphCache))) {
      model = engine.model(); // with its external data files' digests, known once it is read
      modelRecord = engine.modelRecord();
      forwardPass = engine.forwardPass();
      // A bad layer name or method fails here, once, not in every partition (no step selects images).
      StepChecks.check(e, plugins, engine, Integer.MAX_VALUE);
      graph = engine.gradientGraph(VjpSpec.DEFAULT, engine.inputHeight(), engine.inputWidth());
    }
    String master = localRetries(options.master());
    int partitions = options.partitions() > 0 ? options.partitions() : defaultPartitions(master);
    if (graph.file() == null) {
      throw new IllegalStateException("the gradient graph of " + model.path() + " was not saved to " + graphCache);
    }
    // Executors place the shipped file where their engine's cache looks for it: the driver's own copy
    // may sit beside the model instead (a writable model directory), not under _graph/.
    JobSpec spec = new JobSpec(e.file().toString(), overrides, out.toString(),
        CompanionGraphs.cacheEntry(model.weightsSha256(), graph.file().getFileName().toString()).toString(), e.model(), e.device(), steps, seeds, options.batchSize(),
        options.failOnBadInput() || e.failOnBadInput(), options.failOnce(), threadsPerTask(master));
    SparkSession spark = SparkSession.builder().master(master).appName("netvis " + e.name())
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate();
    List<ResultRow> rows;
    int imageCount = items == null ? 0 : items.size();
    Map<String, Object> sparkRecord = new LinkedHashMap<>();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      // The graph travels with the job: executors never derive it, and need no shared directory for it.
      jsc.addFile(graph.file().toString());
      // parallelize slices the list into contiguous ranges: a partition holds neighbouring images.
      JavaRDD<ImageItem> rdd = items != null ? jsc.parallelize(items, partitions) : tableItems(spark, options, partitions);
      rows = new ArrayList<>(rdd.mapPartitions(new PartitionTask(spec)).collect());
      imageCount = (int) rows.stream().mapToInt(ResultRow::index).distinct().count();
      rows.sort(java.util.Comparator.comparingInt(ResultRow::step).thenComparingInt(ResultRow::index));
      for (int s : steps) {
        List<Row> table = new ArrayList<>();
        for (ResultRow r : rows) {
          if (r.step() == s) {
            table.add(RowFactory.create(r.index(), r.id(), r.label(), r.prediction(), r.error(),
                scala.jdk.javaapi.CollectionConverters.asScala(new TreeMap<>(r.figures())), r.results()));
          }
        }
        Dataset<Row> df = spark.createDataFrame(table, schema());
        df.coalesce(1).write().mode(SaveMode.Overwrite)
            .parquet(out.resolve(s + "-" + e.steps().get(s).technique()).resolve("results.parquet").toString());
      }
      sparkRecord.put("version", spark.version());
      sparkRecord.put("master", master);
      sparkRecord.put("executors", spark.sparkContext().getExecutorMemoryStatus().size());
      sparkRecord.put("default_parallelism", jsc.defaultParallelism());
      sparkRecord.put("partitions", partitions);
      sparkRecord.put("batch_size", options.batchSize());
      sparkRecord.put("onnxruntime_threads_per_task", spec.threads());
    } catch (Throwable failed) { // Spark's own SparkException is checked, and undeclared
      awaitRunningTasks(spark);
      throw failed;
    } finally {
      spark.stop();
    }
    deleteTree(out.resolve("_attempts"));
    double seconds = (System.nanoTime() - t0) / 1e9;
    long errors = rows.stream().filter(r -> r.error() != null).map(ResultRow::index).distinct().count();
    writeManifest(e, modelRecord, forwardPass, graph, out, imageCount, errors, seeds, sparkRecord, start, seconds);
    JSON.writeValue(out.resolve("experiment.resolved.json").toFile(), e.toResolvedMap());
    DatasetReport.write(out, e, rows, steps, imageCount, seconds);
    LOG.info("{} images ({} unreadable) in {} s", imageCount, errors, String.format("%.1f", seconds));
    return new Outcome(out, imageCount, errors, seconds);
  }

  /**
   * A failed job returns while tasks of its other partitions may still be running (killing them is
   * asynchronous): wait for them, so that nothing writes into the run directory after the failure
   * is reported.
   */
  private static void awaitRunningTasks(SparkSession spark) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline && java.util.Arrays.stream(spark.sparkContext().statusTracker().getExecutorInfos())
        .anyMatch(x -> x.numRunningTasks() > 0)) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static StructType schema() {
    return new StructType()
        .add("index", DataTypes.IntegerType, false)
        .add("id", DataTypes.StringType, false)
        .add("label", DataTypes.LongType, false)
        .add("prediction", DataTypes.LongType, false)
        .add("error", DataTypes.StringType, true)
        .add("figures", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType), false)
        .add("results", DataTypes.StringType, true);
  }

  /**
   * A table of encoded images read by Spark: each row becomes an item carrying its bytes, numbered
   * in the table's order (its data-set index for seeds).
   */
  static JavaRDD<ImageItem> tableItems(SparkSession spark, Options options, int partitions) {
    Dataset<Row> df = spark.read().parquet(options.table().toString());
    List<String> columns = List.of(df.columns());
    if (!columns.contains("image")) {
      throw new IllegalArgumentException(options.table() + ": the table has no column 'image' (found " + columns
          + "); expected encoded PNG or JPEG bytes, with optional 'label' and 'id'");
    }
    boolean hasLabel = columns.contains("label");
    boolean hasId = columns.contains("id");
    JavaRDD<ImageItem> items = df.javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      int index = (int) (long) t._2();
      Object label = hasLabel ? r.getAs("label") : null;
      String id = hasId && r.getAs("id") != null ? r.<String>getAs("id") : "row-" + index;
      return new ImageItem(index, id, null, -1, label == null ? -1 : ((Number) label).longValue(), r.<byte[]>getAs("image"));
    });
    return partitions > 0 ? items.repartition(partitions) : items;
  }

  /** Folder name to class index from a class list (line k: the folder name of class k, then anything). */
  static Map<String, Long> folderLabels(Path mapping) throws IOException {
    if (mapping == null) {
      return null;
    }
    Map<String, Long> out = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(mapping);
    for (int k = 0; k < lines.size(); k++) {
      String first = lines.get(k).strip().split("\\s+")[0];
      if (!first.isEmpty()) {
        out.put(first, (long) k);
      }
    }
    return out;
  }

  /** The data set's images in order, with given labels: archives by member, image files one each. */
  static List<ImageItem> items(Experiment e, Map<String, Long> folderLabels) throws IOException {
    List<ImageItem> items = new ArrayList<>();
    for (Path f : e.inputFiles()) {
      String lower = f.getFileName().toString().toLowerCase();
      int count = 1;
      boolean archive = lower.endsWith(".npz") || lower.endsWith(".npy");
      if (lower.endsWith(".npz")) {
        NpyArray x = Npy.readNpz(f).get("X");
        if (x == null) {
          throw new IOException(f + ": .npz archive has no array 'X'");
        }
        count = (int) x.shape()[0];
      } else if (lower.endsWith(".npy")) {
        count = (int) Npy.read(f).shape()[0];
      }
      for (int m = 0; m < count; m++) {
        int index = items.size();
        long label = e.labels() != null && index < e.labels().size() ? e.labels().get(index) : -1;
        if (folderLabels != null && !archive) {
          String folder = f.getParent() == null ? "" : f.getParent().getFileName().toString();
          Long l = folderLabels.get(folder);
          if (l == null) {
            throw new IllegalArgumentException(f + ": its folder '" + folder + "' is not in the class list ("
                + folderLabels.size() + " classes)");
          }
          label = l;
        }
        items.add(ImageItem.file(index, f.toString(), archive ? m : -1, label));
      }
    }
    return items;
  }

  /** Spark's local mode does not retry a failed task unless told: local[N] becomes local[N,4], as a cluster's default. */
  static String localRetries(String master) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)\\]").matcher(master);
    return m.matches() ? "local[" + m.group(1) + ",4]" : master;
  }

  /**
   * ONNX Runtime threads per task: in local[N], the machine's cores shared by the N concurrent tasks
   * (each session would otherwise start a thread per core, N times over); elsewhere, the runtime's
   * default (a cluster sets executor cores itself).
   */
  static int threadsPerTask(String master) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)(,\\d+)?\\]").matcher(master);
    return m.matches() ? Math.max(1, Runtime.getRuntime().availableProcessors() / Integer.parseInt(m.group(1))) : 0;
  }

  private static int defaultPartitions(String master) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+).*").matcher(master);
    return m.matches() ? Integer.parseInt(m.group(1)) * 2 : Runtime.getRuntime().availableProcessors() * 2;
  }

  private static void writeManifest(Experiment e, Map<String, Object> model, String forwardPass,
      CompanionGraphs.Companion graph, Path out, int images, long errors, List<Long> seeds, Map<String, Object> spark,
      Instant start, double seconds) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", "succeeded");
    m.put("mode", "spark");
    m.put("experiment", Map.of("file", e.file().toString(), "name", e.name()));
    m.put("netvis", Map.of("version", BuildInfo.version(), "git_commit", BuildInfo.gitCommit()));
    m.put("java", Map.of("version", System.getProperty("java.version"), "vendor", System.getProperty("java.vendor")));
    m.put("os", Map.of("name", System.getProperty("os.name"), "version", System.getProperty("os.version"),
        "arch", System.getProperty("os.arch")));
    m.put("driver_cores", Runtime.getRuntime().availableProcessors());
    m.put("onnxruntime_version", org.netvis.engine.runtime.OrtEnvironments.get().getVersion());
    m.put("spark", spark);
    m.put("model", model);
    m.put("runtime", Map.of("forward_pass", forwardPass));
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("path", graph.file() == null ? null : graph.file().toString());
    g.put("sha256", graph.sha256());
    m.put("gradient_graph", g);
    m.put("seeds", Map.of("experiment", e.seed(), "steps", seeds));
    m.put("inputs", e.inputs());
    m.put("images", images);
    m.put("unreadable_images", errors);
    m.put("started", start.toString());
    m.put("duration_seconds", seconds);
    JSON.writeValue(out.resolve("manifest.json").toFile(), m);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
