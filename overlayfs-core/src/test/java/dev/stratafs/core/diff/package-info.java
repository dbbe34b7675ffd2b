/**
 * Differential tests of the core against the kernel overlay filesystem.
 *
 * <p>Each scenario builds the same {@link dev.stratafs.core.diff.LayerFixture} twice, mounts one
 * copy with {@code mount -t overlay} and opens the other with {@code OverlayFs.open}, runs one
 * script of operations on both (through java.nio on the mount, through the facade on the core)
 * and then compares outcomes, merged views, the core reopened, the upper directories on disk,
 * and the kernel's view of the core's upper. See {@link dev.stratafs.core.diff.DiffHarness}.
 *
 * <p>Run: {@code mvn -B -o -q -pl overlayfs-core test -Dtest='dev.stratafs.core.diff.*Test'}.
 * Needs root and a kernel with overlayfs; otherwise the scenarios are skipped. With
 * {@code -Dstratafs.diff.core=kernel} the core side is a second kernel mount, which checks the
 * harness itself (then only the scenarios that state expected differences, or mount the kernel
 * with index=on, fail). With {@code -Dstratafs.diff.core=mount -Dstratafs.diff.mountFactory=<class>}
 * the core side is the core mounted by that {@link dev.stratafs.core.diff.CoreMountFactory} and
 * driven through java.nio like the kernel: fuse-mount's failsafe runs this suite so against a
 * stratafs FUSE mount (its execution {@code mount-diff}).
 */
package dev.stratafs.core.diff;
