package hypercall

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"
)

// EnvDebug names the environment variable that turns on tracing: a
// comma-separated list of subsystems, shared with the rest of xgo
// (XGODEBUG=hypercall,xenstore). "hypercall" (or "hypercall=1") makes
// this package print one line per hypercall and event channel ioctl to
// standard error.
const EnvDebug = "XGODEBUG"

// debugEnabled reports whether name is switched on in an XGODEBUG value.
func debugEnabled(value, name string) bool {
	for _, item := range strings.Split(value, ",") {
		k, v, hasV := strings.Cut(strings.TrimSpace(item), "=")
		if k != name {
			continue
		}
		if !hasV {
			return true
		}
		switch v {
		case "0", "off", "false", "no":
			return false
		default:
			return true
		}
	}
	return false
}

// tracer writes trace lines; nil means tracing is off.
type tracer struct {
	w io.Writer
}

// line prints one hypercall: what, result or errno, duration.
func (t *tracer) line(op, target string, attempt int, r uintptr, errno syscall.Errno, d time.Duration) {
	if t == nil || t.w == nil {
		return
	}
	var sb strings.Builder
	sb.WriteString("hypercall: ")
	sb.WriteString(op)
	if target != "" {
		sb.WriteString(" [")
		sb.WriteString(target)
		sb.WriteString("]")
	}
	if errno != 0 {
		fmt.Fprintf(&sb, " = -%d %s", int(errno), ErrnoName(errno))
	} else {
		fmt.Fprintf(&sb, " = %d", int64(r))
	}
	if attempt > 0 {
		fmt.Fprintf(&sb, " (retry %d)", attempt)
	}
	fmt.Fprintf(&sb, " %v\n", d.Round(time.Microsecond))
	// One Write per line keeps lines whole when several goroutines trace.
	_, _ = io.WriteString(t.w, sb.String())
}
