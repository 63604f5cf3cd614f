package org.netvis.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code netvis} command line. */
@Command(name = "netvis", mixinStandardHelpOptions = true, versionProvider = NetvisCommand.Version.class,
    description = "Neural-network visualization and attribution on ONNX Runtime.",
    subcommands = {RunCommand.class, RerunCommand.class, ReportCommand.class, PluginsCommand.class, ModelsCommand.class,
        CheckModelCommand.class, VjpCommand.class, LayersCommand.class})
public final class NetvisCommand implements Runnable {

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
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit status; errors become one line on stderr. */
  public static int execute(String... args) {
    verbose = false;
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.INFO);
    CommandLine cli = new CommandLine(new NetvisCommand());
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
