package org.netvis.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.Arrays;
import java.util.List;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code netvis} command line. */
@Command(name = "netvis", mixinStandardHelpOptions = true, versionProvider = NetvisCommand.Version.class,
    description = "Neural-network visualization and attribution on ONNX Runtime.")
public final class NetvisCommand implements Runnable {

  /** The subcommands, in the order {@code netvis --help} lists them. */
  static final List<Class<?>> SUBCOMMANDS = List.of(RunCommand.class, RerunCommand.class, ReportCommand.class,
      PluginsCommand.class, ModelsCommand.class, CheckModelCommand.class, VjpCommand.class, LayersCommand.class);

  @Option(names = {"-v", "--verbose"}, description = "Debug logging and full stack traces on errors.",
      scope = CommandLine.ScopeType.INHERIT)
  void setVerbose(boolean verbose) {
    NetvisCommand.verbose = verbose;
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(verbose ? Level.DEBUG : Level.INFO);
  }

  static boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    // Before anything logs; a provider named on the java command line stays. SLF4J would announce the
    // named provider on stderr at its INFO level; its warnings and errors still show.
    if (System.getProperty("slf4j.provider") == null) {
      System.setProperty("slf4j.provider", CommandLogging.class.getName());
      if (System.getProperty("slf4j.internal.verbosity") == null) {
        System.setProperty("slf4j.internal.verbosity", "WARN");
      }
    }
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit status; errors become one line on stderr. */
  public static int execute(String... args) {
    verbose = false;
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.INFO);
    CommandLine cli = commandLine(args);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      commandLine.getErr().println("netvis: error: " + message);
      if (verbose) {
        e.printStackTrace(commandLine.getErr());
      }
      return 1;
    });
    return cli.execute(args);
  }

  /**
   * The command line for {@code args}, with only the subcommand they name where they name one: picocli
   * reads a subcommand's annotations and builds its model when it is registered, which on a cold JVM
   * cost a run's start more than the one subcommand it uses (bench/README.md, twenty-fourth session).
   * Help and names that are no subcommand get all of them.
   */
  static CommandLine commandLine(String... args) {
    CommandLine cli = new CommandLine(new NetvisCommand());
    // The root's options take no values, so the first word that is not an option names the subcommand.
    String named = Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse(null);
    List<Class<?>> chosen = SUBCOMMANDS.stream().filter(c -> c.getAnnotation(Command.class).name().equals(named)).toList();
    for (Class<?> subcommand : chosen.isEmpty() ? SUBCOMMANDS : chosen) {
      cli.addSubcommand(subcommand);
    }
    return cli;
  }

  /** Version from the jar manifest, with the ONNX Runtime version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"netvis " + org.netvis.engine.run.BuildInfo.version() + " (commit "
          + org.netvis.engine.run.BuildInfo.gitCommit() + ")", "ONNX Runtime " + org.netvis.engine.runtime.OrtEnvironments.get().getVersion(),
          "Java " + System.getProperty("java.version")};
    }
  }
}
