package dev.stratafs.core.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.StackConfig;
import dev.stratafs.core.layer.LayerStack;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import dev.stratafs.core.path.FsPath;
import dev.stratafs.core.whiteout.WhiteoutCodec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver keeps the stat of the topmost lower object of a name (lower layers do not change
 * while mounted) for opens to read ({@link Resolver#resolveToOpen}); lookups stat it afresh, so
 * a name removed behind the mount's back shows; names in the upper are stat'ed every time. Stats
 * counted per host path through a NativeOs that passes every call on.
 *
 * <pre>
 * top/                         bottom/
 *   d/                           d/
 *     shadow   "top"               shadow   "bottom"
 *     gone     (whiteout)          gone
 *                                  only     "bottom"
 * upper/
 *   d/
 *     mine     "upper"
 * </pre>
 */
class LowerStatCacheTest {
    private final NativeOs real = Natives.get();
    private final Map<Path, AtomicInteger> stats = new ConcurrentHashMap<>();
    private final NativeOs counting = (NativeOs) Proxy.newProxyInstance(NativeOs.class.getClassLoader(),
            new Class<?>[] {NativeOs.class}, (proxy, m, args) -> {
                if (m.getName().startsWith("lstat")) stats.computeIfAbsent((Path) args[0], k -> new AtomicInteger()).incrementAndGet();
                try {
                    return m.invoke(real, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    @TempDir Path tmp;
    Path top;
    Path bottom;
    Path upper;
    Resolver resolver;

    @BeforeEach
    void setUp() throws Exception {
        top = Files.createDirectories(tmp.resolve("top/d"));
        bottom = Files.createDirectories(tmp.resolve("bottom/d"));
        upper = Files.createDirectories(tmp.resolve("upper/d"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(top.resolve("shadow"), "top");
        real.mknod(top.resolve("gone"), StatInfo.S_IFCHR, 0);
        Files.writeString(bottom.resolve("shadow"), "bottom");
        Files.writeString(bottom.resolve("gone"), "bottom");
        Files.writeString(bottom.resolve("only"), "bottom");
        Files.writeString(upper.resolve("mine"), "upper");
        StackConfig cfg = StackConfig.builder().lower(top.getParent()).lower(bottom.getParent())
                .upper(upper.getParent(), work).build();
        resolver = new Resolver(LayerStack.open(cfg, counting), counting, new WhiteoutCodec(counting, true));
    }

    private int statsOf(Path host) {
        AtomicInteger n = stats.get(host);
        return n == null ? 0 : n.get();
    }

    private Resolved resolveToOpenThrice(String path) throws Exception {
        Resolved r = null;
        for (int i = 0; i < 3; i++) r = resolver.resolveToOpen(FsPath.parse(path));
        return r;
    }

    @Test
    void opensTakeTheLowerStatOfTheLastLookup() throws Exception {
        assertTrue(resolver.resolve(FsPath.parse("/d/only")).exists());
        Resolved r = resolveToOpenThrice("/d/only");
        assertTrue(r.exists());
        assertEquals(6, r.stat().size());
        assertEquals(1, statsOf(bottom.resolve("only")));
    }

    @Test
    void lookupsStatALowerNameEveryTime() throws Exception {
        for (int i = 0; i < 3; i++) assertTrue(resolver.resolve(FsPath.parse("/d/only")).exists());
        assertEquals(3, statsOf(bottom.resolve("only")));
    }

    @Test
    void aLowerNameRemovedBehindTheMountIsMissingForLookupsAndThenForOpens() throws Exception {
        assertTrue(resolver.resolveToOpen(FsPath.parse("/d/only")).exists());
        Files.delete(bottom.resolve("only"));
        assertFalse(resolver.resolve(FsPath.parse("/d/only")).exists());
        assertFalse(resolver.resolveToOpen(FsPath.parse("/d/only")).exists(), "the lookup dropped the kept stat");
    }

    @Test
    void theTopmostLowerObjectWinsAndOnlyItIsStated() throws Exception {
        Resolved r = resolveToOpenThrice("/d/shadow");
        assertEquals(3, r.stat().size(), "the top layer's copy");
        assertEquals(1, statsOf(top.resolve("shadow")));
        assertEquals(0, statsOf(bottom.resolve("shadow")));
    }

    @Test
    void aWhiteoutIsKeptAsHidingTheName() throws Exception {
        // The listing that built the index stat'ed the char device already.
        assertFalse(resolveToOpenThrice("/d/gone").exists());
        assertEquals(1, statsOf(top.resolve("gone")));
        assertEquals(0, statsOf(bottom.resolve("gone")));
    }

    @Test
    void aNameInTheUpperIsStatedOnEveryResolve() throws Exception {
        // The upper changes through the mount: its objects are never kept here.
        Resolved r = resolveToOpenThrice("/d/mine");
        assertTrue(r.inUpper());
        assertEquals(3, statsOf(upper.resolve("mine")));
        // The upper is looked at first for lower names too; the lower stat is still taken once.
        resolveToOpenThrice("/d/only");
        assertEquals(3, statsOf(upper.resolve("only")));
        assertEquals(1, statsOf(bottom.resolve("only")));
    }
}
