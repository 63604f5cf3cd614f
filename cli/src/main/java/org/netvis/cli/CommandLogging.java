package org.netvis.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.util.StatusPrinter;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * SLF4J's provider for the {@code netvis} process: a Logback context configured by
 * {@link TerminalLogging} directly. {@link NetvisCommand#main} names it in the {@code slf4j.provider}
 * property, so SLF4J neither scans the class path for providers nor runs Logback's own start-up.
 *
 * <p>Why: Logback's provider checks its jars' versions, looks up configurators through ServiceLoader
 * and logs each one's duration with string concatenations that a cold JVM links on first use; from
 * the first {@code getLogger} to a configured context that took 105-120 ms against 51-66 ms here
 * (bench/README.md, twenty-fifth session). Elsewhere (tests, Spark) Logback's provider still finds
 * {@link TerminalLogging} as its configurator, so both paths log the same.
 */
public final class CommandLogging implements SLF4JServiceProvider {
  private LoggerContext context;
  private IMarkerFactory markers;
  private MDCAdapter mdc;

  @Override
  public void initialize() {
    context = new LoggerContext();
    context.setName("default");
    if (new TerminalLogging().configure(context) != Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY) {
      try {
        // A logback-test.xml on the class path: Logback's own configuration reads it.
        new ContextInitializer(context).autoConfig();
      } catch (JoranException e) {
        StatusPrinter.print(context);
      }
    }
    context.start();
    markers = new BasicMarkerFactory();
    mdc = new LogbackMDCAdapter();
    context.setMDCAdapter(mdc);
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return context;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  /** The SLF4J API line, as Logback's own provider declares it (SLF4J warns on a mismatch). */
  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }
}
