package dev.stratafs.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * logback's start-up configuration for this module, found through
 * META-INF/services/ch.qos.logback.classic.spi.Configurator: what {@link LogSetup} asked for, or
 * WARN to stderr (instead of logback's DEBUG-to-stdout fallback), without parsing XML. Steps
 * aside when a logback-test.xml, logback.xml or -Dlogback.configurationFile is present.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_LOW_PRIORITY)
public final class DefaultLogConfigurator extends ContextAwareBase implements Configurator {
    public DefaultLogConfigurator() {}

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        ClassLoader cl = DefaultLogConfigurator.class.getClassLoader();
        if (System.getProperty("logback.configurationFile") != null
                || cl.getResource("logback-test.xml") != null
                || cl.getResource("logback.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LogSetup.applyFromProperties(ctx);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
