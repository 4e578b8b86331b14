package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// cpioEntry is one member of a newc ("070701") cpio archive, the format the
// Linux kernel unpacks into its initramfs.
type cpioEntry struct {
	Name string // path inside the archive, without leading "/"
	Mode uint32 // permission bits; the type comes from the fields below
	Dir  bool   // a directory
	Data []byte // contents of a regular file (when Src is empty)
	Src  string // or: copy the contents of this host file
	Link string // or: a symbolic link to this target
}

const (
	cpioTypeDir  = 0o040000
	cpioTypeFile = 0o100000
	cpioTypeLink = 0o120000
	cpioTrailer  = "TRAILER!!!"
)

// writeCPIO writes entries as one newc archive, adding any missing parent
// directories (mode 0755) before their children, and the trailer. The kernel
// accepts several archives back to back, so the result can be appended to
// another initramfs; it is padded to a multiple of 512 bytes like GNU cpio's.
func writeCPIO(w io.Writer, entries []cpioEntry) error {
	all := withParents(entries)
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	for i := range all {
		if err := writeEntry(cw, uint32(i+1), &all[i]); err != nil {
			return err
		}
	}
	if err := writeHeader(cw, 0, cpioTrailer, 0, 0, 1); err != nil {
		return err
	}
	if pad := (512 - cw.n%512) % 512; pad > 0 {
		if _, err := cw.Write(make([]byte, pad)); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// withParents returns entries sorted so that every directory comes before
// what it holds, with the implied parent directories added.
func withParents(entries []cpioEntry) []cpioEntry {
	seen := map[string]bool{}
	var out []cpioEntry
	for _, e := range entries {
		e.Name = strings.TrimPrefix(path.Clean("/"+e.Name), "/")
		seen[e.Name] = true
		out = append(out, e)
	}
	for _, e := range out {
		for dir := path.Dir(e.Name); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if !seen[dir] {
				seen[dir] = true
				out = append(out, cpioEntry{Name: dir, Dir: true, Mode: 0o755})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].Name, "/") < strings.Count(out[j].Name, "/") ||
			strings.Count(out[i].Name, "/") == strings.Count(out[j].Name, "/") && out[i].Name < out[j].Name
	})
	return out
}

func writeEntry(w *countWriter, ino uint32, e *cpioEntry) error {
	switch {
	case e.Dir:
		return writeHeader(w, ino, e.Name, cpioTypeDir|e.Mode&0o7777, 0, 2)
	case e.Link != "":
		if err := writeHeader(w, ino, e.Name, cpioTypeLink|0o777, int64(len(e.Link)), 1); err != nil {
			return err
		}
		return writeData(w, strings.NewReader(e.Link), int64(len(e.Link)))
	case e.Src != "":
		f, err := os.Open(e.Src)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		mode := e.Mode
		if mode == 0 {
			mode = uint32(st.Mode().Perm())
		}
		if err := writeHeader(w, ino, e.Name, cpioTypeFile|mode&0o7777, st.Size(), 1); err != nil {
			return err
		}
		return writeData(w, f, st.Size())
	default:
		if err := writeHeader(w, ino, e.Name, cpioTypeFile|e.Mode&0o7777, int64(len(e.Data)), 1); err != nil {
			return err
		}
		return writeData(w, bytes.NewReader(e.Data), int64(len(e.Data)))
	}
}

// writeHeader writes a newc header and the NUL-terminated name, padded so
// that the data starts on a 4-byte boundary.
func writeHeader(w *countWriter, ino uint32, name string, mode uint32, size int64, nlink uint32) error {
	if size > 0xffffffff {
		return fmt.Errorf("cpio: %s: %d bytes is too large for newc", name, size)
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	if _, err := io.WriteString(w, hdr+name+"\x00"); err != nil {
		return err
	}
	return pad4(w)
}

func writeData(w *countWriter, r io.Reader, size int64) error {
	n, err := io.Copy(w, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("cpio: wrote %d bytes, want %d (file changed while packing?)", n, size)
	}
	return pad4(w)
}

func pad4(w *countWriter) error {
	if p := (4 - w.n%4) % 4; p > 0 {
		_, err := w.Write(make([]byte, p))
		return err
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
