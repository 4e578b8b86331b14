package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type readEntry struct {
	name string
	mode uint32
	data string
}

// readCPIO is a minimal newc reader, enough to check what writeCPIO wrote.
func readCPIO(t *testing.T, b []byte) []readEntry {
	t.Helper()
	var out []readEntry
	off := 0
	field := func(i int) uint32 {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("bad header field %d at %d: %v", i, off, err)
		}
		return uint32(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for {
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("no newc magic at offset %d", off)
		}
		mode, size, nameLen := field(1), int(field(6)), int(field(11))
		name := string(b[off+110 : off+110+nameLen-1])
		dataStart := align(off + 110 + nameLen)
		data := string(b[dataStart : dataStart+size])
		off = align(dataStart + size)
		if name == cpioTrailer {
			break
		}
		out = append(out, readEntry{name, mode, data})
	}
	for _, c := range b[off:] {
		if c != 0 {
			t.Fatalf("non-zero byte after the trailer")
		}
	}
	return out
}

func TestWriteCPIO(t *testing.T) {
	src := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(src, []byte("\x7fELF binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := writeCPIO(&buf, []cpioEntry{
		{Name: "xgo/bin/xgo", Src: src},
		{Name: "/xgo/run.conf", Mode: 0o644, Data: []byte("XGO_MODE=test\n")},
		{Name: "xgo/link", Link: "bin/xgo"},
		{Name: "xgo/empty", Mode: 0o600},
	})
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len()%512 != 0 {
		t.Errorf("archive is %d bytes, want a multiple of 512", buf.Len())
	}
	got := readCPIO(t, buf.Bytes())
	want := []readEntry{
		{"xgo", cpioTypeDir | 0o755, ""},
		{"xgo/bin", cpioTypeDir | 0o755, ""},
		{"xgo/empty", cpioTypeFile | 0o600, ""},
		{"xgo/link", cpioTypeLink | 0o777, "bin/xgo"},
		{"xgo/run.conf", cpioTypeFile | 0o644, "XGO_MODE=test\n"},
		{"xgo/bin/xgo", cpioTypeFile | 0o755, "\x7fELF binary"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v (mode %o), want %+v (mode %o)", i, got[i], got[i].mode, want[i], want[i].mode)
		}
	}
}

func TestWriteCPIOMissingSource(t *testing.T) {
	err := writeCPIO(&bytes.Buffer{}, []cpioEntry{{Name: "x", Src: "/nonexistent/file"}})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/file") {
		t.Errorf("err = %v, want one naming the missing file", err)
	}
}
