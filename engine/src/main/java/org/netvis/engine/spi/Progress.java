package org.netvis.engine.spi;

/** Progress of a long step: a bar on a terminal, silence elsewhere. */
public interface Progress extends AutoCloseable {

  /** Advances by one unit; also the point where a cancelled run stops the step. */
  void step();

  @Override
  void close();

  Progress NONE = new Progress() {
    @Override
    public void step() {}

    @Override
    public void close() {}
  };
}
