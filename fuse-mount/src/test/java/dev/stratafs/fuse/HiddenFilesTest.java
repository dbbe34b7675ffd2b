package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HiddenFilesTest {
    @Test
    void recognisesLibfuseHiddenNamesInAnyDirectory() {
        assertTrue(HiddenFiles.isHiddenName("/.fuse_hidden0000000100000002"));
        assertTrue(HiddenFiles.isHiddenName("/a/b/.fuse_hidden00000abc0000ff01"));
        assertFalse(HiddenFiles.isHiddenName("/a/b/.fuse_hidden00000001")); // too short
        assertFalse(HiddenFiles.isHiddenName("/.fuse_hidden000000010000000G"));
        assertFalse(HiddenFiles.isHiddenName("/a/x.fuse_hidden0000000100000002"));
        assertFalse(HiddenFiles.isHiddenName("/.fuse_hidde"));
        assertFalse(HiddenFiles.isHiddenName("/.fuse_hidden0000000100000002/child"));
    }

    @Test
    void hiddenNameIsRememberedUntilForgotten() {
        HiddenFiles h = new HiddenFiles();
        assertTrue(h.isEmpty());
        h.hide("/d/.fuse_hidden1", 42);
        assertEquals(42L, h.inoOf("/d/.fuse_hidden1"));
        assertNull(h.inoOf("/d/other"));
        assertTrue(h.forget("/d/.fuse_hidden1"));
        assertFalse(h.forget("/d/.fuse_hidden1"));
        assertTrue(h.isEmpty());
    }
}
