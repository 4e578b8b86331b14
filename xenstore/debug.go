package xenstore

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// debugEnabled reports whether the XGODEBUG value v turns on name. v is a
// comma-separated list of names, each optionally with a value:
// "xenstore", "hypercall,xenstore", "xenstore=1" turn it on; "xenstore=0"
// or a list without it leaves it off.
func debugEnabled(v, name string) bool {
	on := false
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		key, val, hasVal := strings.Cut(f, "=")
		if key != name {
			continue
		}
		on = !hasVal || (val != "0" && val != "false" && val != "off")
	}
	return on
}

// tracePayloadMax is how much of each payload a trace line quotes.
const tracePayloadMax = 64

// tracer writes one line per message. A nil *tracer traces nothing.
type tracer struct {
	mu sync.Mutex
	w  io.Writer
}

// message traces m going in direction dir ("->" sent, "<-" received).
func (t *tracer) message(dir string, m *Message) {
	if t == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "xenstore: %s %s %s req_id=%d tx_id=%d len=%d",
		time.Now().Format("15:04:05.000000"), dir, m.Type, m.ReqID, m.TxID, len(m.Payload))
	if m.Type == TypeError {
		name := m.Payload
		if i := indexNUL(name); i >= 0 {
			name = name[:i]
		}
		fmt.Fprintf(&b, " err=%s", name)
	} else if len(m.Payload) > 0 {
		p := m.Payload
		more := ""
		if len(p) > tracePayloadMax {
			p, more = p[:tracePayloadMax], "..."
		}
		fmt.Fprintf(&b, " %q%s", p, more)
	}
	b.WriteByte('\n')
	t.write(b.String())
}

// note traces something the client did on its own, e.g. dropping an event.
func (t *tracer) note(format string, args ...any) {
	if t == nil {
		return
	}
	t.write(fmt.Sprintf("xenstore: %s !! %s\n", time.Now().Format("15:04:05.000000"), fmt.Sprintf(format, args...)))
}

func (t *tracer) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, s)
}
